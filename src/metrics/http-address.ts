/** Where an operations endpoint listens: `--http PORT`, `--http HOST:PORT` or `--http [V6]:PORT`. */
export interface HttpAddress {
  host: string;
  port: number;
}

export class HttpAddressError extends Error {
  override readonly name = 'HttpAddressError';
  readonly code = 'KUDF_METRICS_BAD_ADDRESS';
}

/**
 * Reads an `--http` value. A bare port listens on loopback only (127.0.0.1): the endpoints
 * show what runs where, so reaching them from elsewhere is a choice made by naming the address
 * (`0.0.0.0:9464`, `[::]:9464`). Port 0 picks a free port (the log line says which).
 */
export function parseHttpAddress(value: string): HttpAddress {
  const text = value.trim();
  let host = '127.0.0.1';
  let port = text;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  if (v6 !== null) {
    host = v6[1]!;
    port = v6[2]!;
  } else if (text.includes(':')) {
    const i = text.lastIndexOf(':');
    host = text.slice(0, i);
    port = text.slice(i + 1);
    if (host === '' || host.includes(':'))
      throw new HttpAddressError(`expected PORT, HOST:PORT or [IPv6]:PORT, got '${value}'`);
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
    throw new HttpAddressError(`expected a port 0..65535 in '${value}'`);
  return { host, port: Number(port) };
}
