/**
 * What `kapacitor-udf-host/sdk` exports: the names a function author uses, and nothing of the
 * host's (that is src/sdk/internal.ts). Types are read from the source with the compiler, values
 * from the module as it loads.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';
import * as sdk from '../../../src/sdk/index.js';

const VALUES = [
  'GroupState',
  'OptionError',
  'defineUdf',
  'deriveField',
  'derivePoint',
  'durationIn',
  'fieldOf',
  'numericField',
  'opt',
  'withFields',
];
const TYPES = [
  'EdgeType',
  'Emitter',
  'FieldValue',
  'Fields',
  'ParsedOptions',
  'Point',
  'SnapshotOutput',
  'SnapshotValue',
  'UdfContext',
  'UdfDefinition',
  'UdfInstance',
];

describe('the SDK surface', () => {
  it('exports the values a function uses, and no host machinery', () => {
    assert.deepEqual(Object.keys(sdk).sort(), VALUES);
  });

  it('exports those values and the types of a definition, its context, options, points and snapshots', () => {
    const index = fileURLToPath(new URL('../../../../src/sdk/index.ts', import.meta.url));
    const program = ts.createProgram([index], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
    });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(index);
    assert.ok(source, index);
    const module = checker.getSymbolAtLocation(source);
    assert.ok(module);
    const names = checker.getExportsOfModule(module).map((s) => s.name);
    assert.deepEqual(names.sort(), [...VALUES, ...TYPES].sort());
  });
});
