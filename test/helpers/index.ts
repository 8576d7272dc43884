/**
 * The test helpers' door: the fake routers, the real servers the tests start (sshd, telnetd,
 * influxd, VictoriaMetrics, Kapacitor), the host and poller processes, the session harness and
 * the reference models. fake-router-cli.ts is a program the telnet helper starts, so only its
 * types come through here.
 */
export * from './check-cases.js';
export * from './child-process.js';
export * from './deadline.js';
export type { FakeCliConfig } from './fake-router-cli.js';
export * from './fake-router-logs.js';
export * from './fake-router-parser.js';
export * from './fake-router-silent.js';
export * from './fake-router.js';
export * from './free-port.js';
export * from './host-process.js';
export * from './http-collector.js';
export * from './influxd.js';
export * from './kapacitor.js';
export * from './parser-status.js';
export * from './poll-harness.js';
export * from './poll-process.js';
export * from './reference-edge-detect.js';
export * from './reference-numeric.js';
export * from './reference-proto.js';
export * from './recording-echo.js';
export * from './reloadable-udf.js';
export * from './self-signed-cert.js';
export * from './session-harness.js';
export * from './sshd.js';
export * from './telnetd.js';
export * from './tick-lambda.js';
export * from './tr064-box.js';
export * from './web-box.js';
export * from './victoria-metrics.js';
