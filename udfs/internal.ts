/**
 * The built-in functions' door for their tests (test/): helpers the functions use internally and
 * test on their own. The lint (.dependency-cruiser.mjs) holds this file to test/.
 */
export { quantile } from './outliers.js';
