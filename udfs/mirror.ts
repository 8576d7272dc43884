import { defineUdf } from '../src/sdk/index.js';

/**
 * Returns every point unchanged; a batch comes back as the same batch (BeginBatch, points,
 * EndBatch). Useful to check that a socket, a task and the host work end to end.
 */
export default defineUdf({
  name: 'mirror',
  description: 'returns every point and every batch unchanged',
  wants: 'stream',
  provides: 'stream',
  options: {},
  example: "stream\n    |from().measurement('cpu')\n    @mirror()",
  create: () => ({
    point(point, out) {
      out.emit(point);
    },
  }),
});
