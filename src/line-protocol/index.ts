/**
 * InfluxDB line protocol, shared by the probe (reading and printing UDF points) and the
 * ingest writers. Field values follow the UDF convention: double -> number, integer (`i`
 * suffix) -> bigint, string -> string, boolean -> boolean.
 */
export interface LinePoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | bigint | string | boolean>;
  /** Nanoseconds since the epoch; absent when the line has no timestamp. */
  time?: bigint;
}

export { parseLineProtocol, parseLine, LineProtocolError } from './parse.js';
export { formatLine, formatLines } from './format.js';
