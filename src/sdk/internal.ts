/**
 * The SDK's second door: what the host does with a function's definition, which a function itself
 * never calls. Imported by src/host (serving) and src/check (`kudf check`), and by test/, bench/
 * and scripts/; never by udfs/ or a function file, which see only `./index.ts`
 * (`kapacitor-udf-host/sdk`). The lint (.dependency-cruiser.mjs) holds it to those importers.
 */
export { validateDefinition, UdfDefinitionError } from './define-udf.js';
export { parseOptions } from './options.js';
export { describeUdf } from './describe.js';
export {
  canonicalJson,
  fingerprintOptions,
  encodeSnapshot,
  decodeSnapshot,
  COMPRESS_SNAPSHOTS_ABOVE,
  MAX_SNAPSHOT_JSON_BYTES,
  type SnapshotIdentity,
  type DecodedSnapshot,
} from './snapshot.js';
