/** The fuzz properties, shared by the reliability tests here and the long campaign in scripts/fuzz.ts. */
export {
  framesProperty,
  pipelineProperty,
  rawFramesProperty,
  sessionProperty,
  type PipelineOutcome,
} from './fuzz-targets.js';
