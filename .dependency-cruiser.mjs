/**
 * Module boundaries, checked by `npm run lint` (depcruise). A folder is entered only through its
 * door: `index.ts`, or `internal.ts` where a folder keeps a second door for named importers
 * (listed in DOORS below and in each internal.ts's header). Also: no cycle between modules or
 * folders, the host and the poller (ingest) never import each other, shipped code (src/, udfs/)
 * never imports tests, benchmarks or scripts, and the built-in functions see only the public SDK.
 * test/deploy/boundaries.test.ts proves on a planted violation that these rules fail the lint.
 */

/** Every second door and who may use it, besides the files of its own folder. */
const DOORS = {
  'src/sdk/internal.ts': ['^src/(host|check)/', '^(test|bench|scripts)/'],
  'src/host/internal.ts': ['^(test|bench|scripts)/'],
  'src/ingest/writer/internal.ts': ['^(test|bench|scripts)/'],
  'src/metrics/internal.ts': ['^src/cli/', '^test/'],
  'src/cli/internal.ts': ['^test/'],
  'bench/internal.ts': ['^test/'],
  'udfs/internal.ts': ['^test/'],
};

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const folderOf = (file) => file.slice(0, file.lastIndexOf('/') + 1);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'through-the-door',
      comment:
        "A module in another folder is imported through that folder's index.ts (or its internal.ts, see DOORS), never directly.",
      severity: 'error',
      from: { path: '^(.+)/[^/]+$' },
      to: { path: '^(src|udfs|test|bench|scripts)/', pathNot: ['^$1/[^/]+$', '/(index|internal)\\.ts$'] },
    },
    ...Object.entries(DOORS).map(([door, importers]) => ({
      name: 'internal-door',
      comment: `${door} is for ${importers.join(', ')} and its own folder only.`,
      severity: 'error',
      from: { pathNot: [`^${escape(folderOf(door))}[^/]+$`, ...importers] },
      to: { path: `^${escape(door)}$` },
    })),
    {
      name: 'undeclared-internal-door',
      comment: 'An internal.ts is a second door with named importers: declare them in DOORS (.dependency-cruiser.mjs).',
      severity: 'error',
      from: {},
      to: { path: '(^|/)internal\\.ts$', pathNot: Object.keys(DOORS).map((door) => `^${escape(door)}$`) },
    },
    {
      name: 'no-circular',
      comment:
        'Modules do not import each other in a circle at run time (a cycle of type-only imports inside one folder loads nothing).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-folder-cycle',
      comment: 'Folders do not depend on each other in a circle.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-parent-folder',
      comment:
        'A sub-folder never imports its parent folder: the parent is made of its sub-folders (its index.ts re-exports them), so that would be a cycle, and one the folder view above cannot see.',
      severity: 'error',
      from: { path: '^(.+)/[^/]+/[^/]+$' },
      to: { path: '^$1/[^/]+$' },
    },
    {
      name: 'no-grandparent-folder',
      comment: 'Nor the folder above its parent, for the same reason.',
      severity: 'error',
      from: { path: '^(.+)/[^/]+/[^/]+/[^/]+$' },
      to: { path: '^$1/[^/]+$' },
    },
    {
      name: 'host-not-ingest',
      comment: 'The UDF host and the router poller are separate programs sharing only common folders.',
      severity: 'error',
      from: { path: '^src/host/' },
      to: { path: '^src/ingest/' },
    },
    {
      name: 'ingest-not-host',
      comment: 'The UDF host and the router poller are separate programs sharing only common folders.',
      severity: 'error',
      from: { path: '^src/ingest/' },
      to: { path: '^src/host/' },
    },
    {
      name: 'shipped-code-not-tests',
      comment: 'What the package ships (src/, udfs/) never imports tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^(src|udfs)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'functions-see-the-sdk',
      comment: 'The built-in functions are written like any other: on the public SDK (src/sdk/index.ts) only.',
      severity: 'error',
      from: { path: '^udfs/' },
      to: { path: '^src/', pathNot: '^src/sdk/index\\.ts$' },
    },
    {
      name: 'resolvable',
      comment: 'Every import resolves, so none escapes these rules.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports are dependencies too: a boundary holds for types as well as values.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // Fixtures are function files that import the published package name, not the tree.
    exclude: { path: '^(dist|node_modules|test/fixtures)/' },
  },
};
