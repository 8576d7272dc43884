/**
 * The function SDK: the only module a function file imports.
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
export { defineUdf, validateDefinition, UdfDefinitionError } from './define-udf.js';
export type { UdfDefinition, UdfInstance, UdfContext, UdfLogger, Emitter } from './define-udf.js';
export { opt, Opt, OptionError, parseOptions } from './options.js';
export type { OptionSpecs, ParsedOptions, ValueOf } from './options.js';
export { GroupState } from './group-state.js';
export { fieldOf, numericField, derivePoint, deriveField, withFields, durationIn } from './point.js';
export type { SnapshotOutput, SnapshotValue } from './snapshot.js';
export { describeUdf } from './describe.js';
export type { Point, BeginBatch, EndBatch, FieldValue, Fields, Tags, EdgeType, ValueType } from '../protocol/types.js';
