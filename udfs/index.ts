import type { UdfDefinition } from '../src/sdk/index.js';
import edgeDetect, { edgeDetectBatch } from './edgeDetect.js';
import mirror from './mirror.js';

/** The functions built into the host, in the order `kudf functions` lists them. */
export const builtinUdfs: readonly UdfDefinition[] = [mirror, edgeDetect, edgeDetectBatch];
