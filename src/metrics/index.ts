export { parseHttpAddress, HttpAddressError, type HttpAddress } from './http-address.js';
export { OpsServer, type OpsEndpoints } from './ops-server.js';
export { HostMetrics } from './host-metrics.js';
export { PollerMetrics, type PollOutcome, type WriterFigures } from './poller-metrics.js';
