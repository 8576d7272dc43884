import type { UdfDefinition } from '../src/sdk/index.js';
import edgeDetect, { edgeDetectBatch } from './edgeDetect.js';
import ewma from './ewma.js';
import integral, { integralBatch } from './integral.js';
import mirror from './mirror.js';
import movingAverage from './movingAverage.js';
import outliers from './outliers.js';

/** The functions built into the host, in the order `kudf functions` lists them. */
export const builtinUdfs: readonly UdfDefinition[] = [
  mirror,
  edgeDetect,
  edgeDetectBatch,
  movingAverage,
  ewma,
  integral,
  integralBatch,
  outliers,
];

// Each definition by name too, for the tests and benchmarks that drive one function directly.
// The registry loads `builtinUdfs` only, so these add no function.
export { mirror, edgeDetect, edgeDetectBatch, movingAverage, ewma, integral, integralBatch, outliers };
