import type { Request } from './types.js';

/**
 * Freezes what a request hands to a function: the point (or BeginBatch/EndBatch) with its
 * fields, tags and dimensions. The host writes an emitted input point back as its original
 * bytes, and a point derived from it as the input's bytes before its fields, so a write to an
 * input point would otherwise be lost without a word; frozen, it throws where it happens.
 * Returns `request` itself.
 */
export function freezeRequest(request: Request): Request {
  switch (request.kind) {
    case 'point': {
      const p = request.point;
      Object.freeze(p.fields);
      Object.freeze(p.tags);
      Object.freeze(p.dimensions);
      Object.freeze(p);
      break;
    }
    case 'begin':
      Object.freeze(request.begin.tags);
      Object.freeze(request.begin);
      break;
    case 'end':
      Object.freeze(request.end.tags);
      Object.freeze(request.end);
      break;
    default:
  }
  return request;
}
