/**
 * The metrics folder's light door: the `--http` address grammar alone, for the CLI's option
 * parsers (src/cli/). Its index also brings prom-client, which `kudf serve` loads only when
 * --http asks for the endpoints. The lint (.dependency-cruiser.mjs) holds this file to the CLI
 * and the tests.
 */
export { parseHttpAddress, HttpAddressError, type HttpAddress } from './http-address.js';
