/**
 * The CLI's door for the tests (test/): the program as `kudf` builds it and the report printer of
 * `kudf check`. The CLI itself has no importers in src/ (its entry is main.ts); the lint
 * (.dependency-cruiser.mjs) holds this file to test/.
 */
export { buildProgram } from './program.js';
export { printReport } from './check.js';
export { addInfluxOptions } from './influx-options.js';
