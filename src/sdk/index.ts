/**
 * The function SDK: the only module a function file imports, and all it needs: `defineUdf`, the
 * `opt` builders and `OptionError`, `GroupState`, the point helpers, and the types of a definition,
 * its context, options, points and snapshots. What the host does with a definition (validating it,
 * parsing Init options, the InfoResponse, the snapshot envelope) is behind `./internal.ts`.
 *
 * ```ts
 * import { defineUdf, opt } from 'kapacitor-udf-host/sdk';
 * export default defineUdf({
 *   name: 'double', description: 'multiplies a field by two',
 *   wants: 'stream', provides: 'stream',
 *   options: { field: opt.string().required() },
 *   create: ({ options }) => ({
 *     point(p, out) {
 *       const v = p.fields[options.field];
 *       if (typeof v === 'number') out.emit({ ...p, fields: { ...p.fields, [options.field]: v * 2 } });
 *     },
 *   }),
 * });
 * ```
 */
export { defineUdf } from './define-udf.js';
export type { UdfDefinition, UdfInstance, UdfContext, Emitter } from './define-udf.js';
export { opt, OptionError } from './options.js';
export type { ParsedOptions } from './options.js';
export { GroupState } from './group-state.js';
export { fieldOf, numericField, derivePoint, deriveField, withFields, durationIn } from './point.js';
export type { SnapshotOutput, SnapshotValue } from './snapshot.js';
export type { Point, FieldValue, Fields, EdgeType } from '../protocol/index.js';
