/**
 * Request/Response bodies (without the length prefix) <-> our types in ./types.ts.
 *
 * The envelope and the data members (begin = 16, point = 17, end = 18) are read and
 * written by hand; the management members go through protobufjs.
 */
import {
  readBeginBatch,
  readEndBatch,
  readPoint,
  writeBeginBatchBody,
  writeEndBatchBody,
  writePointBody,
  writePointBodyAfterHeader,
} from './data-messages.js';
import { ProtocolError } from './errors.js';
import {
  decodeManagementRequest,
  decodeManagementResponse,
  encodeManagementRequest,
  encodeManagementResponse,
  type ManagementRequest,
  type ManagementResponse,
} from './management-messages.js';
import type { Point, Request, Response } from './types.js';
import { WIRE_LEN, WireFormatError, WireReader, type PointHeader } from './wire-reader.js';
import { uvarintSize, writeUvarint } from './varint.js';
import { WireWriter } from './wire-writer.js';

const MEMBER_BEGIN = 16;
const MEMBER_POINT = 17;
const MEMBER_END = 18;
const LAST_REQUEST_MANAGEMENT = 5;
const LAST_RESPONSE_MANAGEMENT = 6;

// Decoding and encoding are synchronous and never re-entered, so one reader and one
// writer serve every call.
const EMPTY = Buffer.alloc(0);
const reader = new WireReader(EMPTY);
const writer = new WireWriter();

type Envelope = 'Request' | 'Response';

function decodeEnvelope<T>(
  buf: Uint8Array,
  start: number,
  stop: number,
  envelope: Envelope,
  lastManagement: number,
  management: (member: number, payload: Uint8Array) => T,
  data: (member: number, r: WireReader) => T,
): T {
  let result: T | undefined;
  let unknownMember = 0;
  const r = reader;
  r.reset(buf, start, stop);
  try {
    while (r.pos < r.end) {
      const tag = r.uint32();
      const member = tag >>> 3;
      const wireType = tag & 7;
      const known = (member >= 1 && member <= lastManagement) || (member >= MEMBER_BEGIN && member <= MEMBER_END);
      if (!known) {
        r.skip(wireType);
        unknownMember = member;
        continue;
      }
      if (wireType !== WIRE_LEN) {
        throw new WireFormatError(`member ${member} has wire type ${wireType}, expected ${WIRE_LEN}`);
      }
      // A oneof set twice keeps the last member, as protobuf specifies.
      if (member >= MEMBER_BEGIN) {
        result = data(member, r);
      } else {
        const end = r.delimitedEnd();
        const payload = r.buf.subarray(r.pos, end);
        r.pos = end;
        result = management(member, payload);
      }
    }
  } catch (cause) {
    if (cause instanceof WireFormatError) {
      throw new ProtocolError('KUDF_PROTO_INVALID', `invalid protobuf in ${envelope}: ${cause.message}`, { cause });
    }
    throw cause;
  } finally {
    r.reset(EMPTY);
  }
  if (result !== undefined) return result;
  if (unknownMember !== 0) {
    throw new ProtocolError(
      'KUDF_PROTO_UNKNOWN_MEMBER',
      `${envelope} has only an unknown member (field ${unknownMember}); is the peer newer than this host?`,
    );
  }
  throw new ProtocolError('KUDF_PROTO_EMPTY', `${envelope} has no member set (${stop - start}-byte body)`);
}

function decodeData(member: number, r: WireReader): Request & Response {
  if (member === MEMBER_POINT) return { kind: 'point', point: readPoint(r) };
  if (member === MEMBER_BEGIN) return { kind: 'begin', begin: readBeginBatch(r) };
  return { kind: 'end', end: readEndBatch(r) };
}

/**
 * Decodes a Request body (no length prefix). The result shares no memory with `body`.
 * Throws `ProtocolError`: `KUDF_PROTO_INVALID` (not valid protobuf, or an unknown enum value),
 * `KUDF_PROTO_EMPTY` (no member set, including a zero-length body), `KUDF_PROTO_UNKNOWN_MEMBER`
 * (only a member this schema does not know). Unknown fields inside known messages are skipped.
 * For a point, `pointHeader` receives where in `body` its bytes before the fields lie (see
 * readPoint; start -1 when the request is not a point or they cannot be reused).
 */
export function decodeRequest(body: Uint8Array, pointHeader?: PointHeader): Request {
  return decodeRequestIn(body, 0, body.length, pointHeader);
}

/**
 * {@link decodeRequest} for the body in bytes [start, end) of `buf`, with no view made of it:
 * a view per frame was a tenth of the garbage a point made on a worker. `pointHeader` offsets
 * are then offsets into `buf`.
 */
export function decodeRequestIn(buf: Uint8Array, start: number, end: number, pointHeader?: PointHeader): Request {
  reader.pointHeader.start = -1;
  const request = decodeEnvelope<Request>(
    buf,
    start,
    end,
    'Request',
    LAST_REQUEST_MANAGEMENT,
    decodeManagementRequest,
    decodeData,
  );
  if (pointHeader !== undefined) {
    pointHeader.start = reader.pointHeader.start;
    pointHeader.end = reader.pointHeader.end;
  }
  return request;
}

/** Decodes a Response body (no length prefix); errors as for {@link decodeRequest}. */
export function decodeResponse(body: Uint8Array): Response {
  return decodeEnvelope<Response>(
    body,
    0,
    body.length,
    'Response',
    LAST_RESPONSE_MANAGEMENT,
    decodeManagementResponse,
    decodeData,
  );
}

/**
 * Appends a Request body to `w` (no frame prefix). Throws `ProtocolError`
 * `KUDF_PROTO_UNENCODABLE` for an int64 outside the int64 range or an unknown enum string.
 */
export function writeRequestBody(w: WireWriter, r: Request): void {
  if (r.kind === 'point' || r.kind === 'begin' || r.kind === 'end') writeDataMember(w, r, false);
  else writeManagementMember(w, encodeManagementRequest(r satisfies ManagementRequest));
}

/** Appends a Response body to `w` (no frame prefix); errors as for {@link writeRequestBody}. */
export function writeResponseBody(w: WireWriter, r: Response): void {
  if (r.kind === 'point' || r.kind === 'begin' || r.kind === 'end') writeDataMember(w, r, false);
  else writeManagementMember(w, encodeManagementResponse(r satisfies ManagementResponse));
}

/**
 * Appends one frame (uvarint length prefix + Request body) to `w`; errors as for
 * {@link writeRequestBody}. On a throw, bytes after the starting position are garbage: the
 * caller rewinds `w.pos`.
 */
export function writeRequestFrame(w: WireWriter, r: Request): void {
  if (r.kind === 'point' || r.kind === 'begin' || r.kind === 'end') writeDataMember(w, r, true);
  else writeManagementFrame(w, () => writeManagementMember(w, encodeManagementRequest(r satisfies ManagementRequest)));
}

/**
 * Appends one point Response frame whose point is `header` (the bytes before the fields of an input point
 * with the same time, name, database, retention policy, group, dimensions and tags) plus the
 * point's own fields and byName; errors as for {@link writeRequestFrame}.
 */
export function writePointResponseFrameAfterHeader(w: WireWriter, header: Uint8Array, point: Point): void {
  writeDataMember(w, { kind: 'point', point }, true, header);
}

/** Appends one frame (length prefix + Response body) to `w`; as {@link writeRequestFrame}. */
export function writeResponseFrame(w: WireWriter, r: Response): void {
  if (r.kind === 'point' || r.kind === 'begin' || r.kind === 'end') writeDataMember(w, r, true);
  else
    writeManagementFrame(w, () => writeManagementMember(w, encodeManagementResponse(r satisfies ManagementResponse)));
}

/** The data members, which Request and Response share (same member numbers and payloads). */
type DataMessage = Extract<Request, { kind: 'point' | 'begin' | 'end' }>;

// The data members' tags, (16..18 << 3) | WIRE_LEN = 130..146, are two-byte varints.
const DATA_TAG_BYTES = 2;

// A data member is `tag, uvarint(len), body` and, framed, is preceded by `uvarint(frame length)`,
// where both lengths follow from the body's. The body is written first, after a header slot of
// the size the previous data member needed (points of one stream have similar sizes), and the
// header goes in front of it afterwards: one copyWithin of the body when the guess was wrong,
// none when it was right. (Reserving fixed 2-byte slots for the two lengths, as before, shifted
// every body under 128 bytes twice.) One guess per shape, shared by every writer of the thread.
let framedHeaderGuess = 1 + DATA_TAG_BYTES + 1;
let bareHeaderGuess = DATA_TAG_BYTES + 1;

/** `beforeFields`: write the point from another point's bytes before its fields (writePointBodyAfterHeader). */
function writeDataMember(w: WireWriter, r: DataMessage, framed: boolean, beforeFields?: Uint8Array): void {
  const start = w.pos;
  const guess = framed ? framedHeaderGuess : bareHeaderGuess;
  w.ensure(guess);
  const bodyStart = start + guess;
  w.pos = bodyStart;
  let member: number;
  switch (r.kind) {
    case 'point':
      if (beforeFields === undefined) writePointBody(w, r.point);
      else writePointBodyAfterHeader(w, beforeFields, r.point);
      member = MEMBER_POINT;
      break;
    case 'begin':
      writeBeginBatchBody(w, r.begin);
      member = MEMBER_BEGIN;
      break;
    default:
      writeEndBatchBody(w, r.end);
      member = MEMBER_END;
  }
  const bodyLength = w.pos - bodyStart;
  // Bytes of the Request/Response body: the member's tag, its length and its payload.
  const frameLength = DATA_TAG_BYTES + uvarintSize(bodyLength) + bodyLength;
  const header = (framed ? uvarintSize(frameLength) : 0) + frameLength - bodyLength;
  if (header !== guess) {
    w.ensure(header - guess);
    w.buf.copyWithin(start + header, bodyStart, w.pos);
    w.pos += header - guess;
    if (framed) framedHeaderGuess = header;
    else bareHeaderGuess = header;
  }
  const buf = w.buf;
  let p = framed ? writeUvarint(frameLength, buf, start) : start;
  const tag = (member << 3) | WIRE_LEN;
  buf[p++] = (tag & 0x7f) | 0x80;
  buf[p++] = tag >>> 7;
  writeUvarint(bodyLength, buf, p);
}

// Management frames are rare and small: a two-byte length slot, moved when it does not fit.
const MANAGEMENT_PREFIX_SLOT = 2;

function writeManagementFrame(w: WireWriter, writeBody: () => void): void {
  const mark = w.beginLength(MANAGEMENT_PREFIX_SLOT);
  writeBody();
  w.endLength(mark, MANAGEMENT_PREFIX_SLOT);
}

function writeManagementMember(w: WireWriter, [member, payload]: [number, Uint8Array]): void {
  w.tag((member << 3) | WIRE_LEN);
  w.bytes(payload);
}

/** Encodes a Request body (no length prefix) into a fresh buffer the caller owns. */
export function encodeRequest(r: Request): Uint8Array {
  writer.pos = 0;
  try {
    writeRequestBody(writer, r);
    return writer.copy();
  } finally {
    writer.pos = 0;
  }
}

/** Encodes a Response body (no length prefix) into a fresh buffer the caller owns. */
export function encodeResponse(r: Response): Uint8Array {
  writer.pos = 0;
  try {
    writeResponseBody(writer, r);
    return writer.copy();
  } finally {
    writer.pos = 0;
  }
}
