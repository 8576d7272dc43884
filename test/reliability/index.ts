/**
 * What the long-run scripts share with the reliability tests: the fuzz properties (scripts/fuzz.ts)
 * and the raw and task peers (scripts/attack.ts).
 */
export {
  framesProperty,
  pipelineProperty,
  rawFramesProperty,
  sessionProperty,
  type PipelineOutcome,
} from './fuzz-targets.js';
export { rawConnect, seqPoint } from './raw-peer.js';
export { TaskPeer, percentile, seqPoints } from './task-peer.js';
