/**
 * TelnetSession against a scripted device on loopback that speaks the telnet protocol byte by
 * byte: option requests before the login prompt, a subnegotiation and an escaped 255 inside the
 * command output, and an option request repeated. What the session sends back is read here by
 * hand, not by the decoder under test.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TelnetSession } from '../../../../src/ingest/telnet/index.js';
import { captureLogger, routerConfig } from '../../../helpers/index.js';

const IAC = 255;
const VERBS: Record<number, string> = { 251: 'will', 252: 'wont', 253: 'do', 254: 'dont' };
const PASSWORD = 'Wire-Pw-3b9e';

/** The device's output for `show dsl`: text with a data byte 255 (IAC IAC), a subnegotiation and a repeated WILL ECHO. */
const OUTPUT = Buffer.concat([
  Buffer.from('show dsl\r\nvendor ', 'latin1'),
  Buffer.from([IAC, IAC]),
  Buffer.from(' x\r\n', 'latin1'),
  Buffer.from([IAC, 250, 24, 1, IAC, IAC, IAC, 240]),
  Buffer.from('rate 100\r\n', 'latin1'),
  Buffer.from([IAC, 251, 1]),
  Buffer.from('R> ', 'latin1'),
]);

interface Heard {
  /** Option commands the client sent, as `do 1`. */
  options: string[];
  /** Lines the client typed, without CR LF. */
  lines: string[];
}

/** A device that asks for options, then for a user name and a password, then answers commands. */
function startDevice(heard: Heard): Promise<Server> {
  const server = createServer((sock: Socket) => {
    sock.write(
      Buffer.concat([
        Buffer.from([IAC, 251, 1, IAC, 251, 3, IAC, 253, 24, IAC, 251, 37]),
        Buffer.from('Login: ', 'latin1'),
      ]),
    );
    let pending: number[] = [];
    let line = '';
    sock.on('data', (chunk: Buffer) => {
      pending.push(...chunk);
      let i = 0;
      for (; i < pending.length; i++) {
        const b = pending[i] as number;
        if (b === IAC) {
          if (i + 2 >= pending.length) break;
          heard.options.push(`${VERBS[pending[i + 1] as number] ?? '?'} ${pending[i + 2] as number}`);
          i += 2;
          continue;
        }
        if (b === 0x0d) continue;
        if (b !== 0x0a) {
          line += String.fromCharCode(b);
          continue;
        }
        heard.lines.push(line);
        line = '';
        const n = heard.lines.length;
        if (n === 1) sock.write('Password: ');
        else if (n === 2) sock.write('\r\nR> ');
        else sock.write(OUTPUT);
      }
      pending = pending.slice(i);
    });
    sock.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('telnet session on the wire', () => {
  const heard: Heard = { options: [], lines: [] };
  let server: Server;
  before(async () => {
    server = await startDevice(heard);
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers option requests once each, logs in, and reads output around escapes and subnegotiations', async () => {
    const port = (server.address() as AddressInfo).port;
    const router = routerConfig(
      {
        name: 'wire',
        address: '127.0.0.1',
        port,
        user: 'admin',
        command: 'show dsl',
        transport: 'telnet',
        auth: { passwordEnv: 'PW' },
        // No Enter typed into a silence: every line the device hears is one the session meant.
        telnet: { wakeAfter: '10m' },
        shell: { prompt: '^R> ?$' },
        timeout: 10,
        connectTimeout: 10,
      },
      { PW: PASSWORD },
    );
    const session = new TelnetSession({ router, logger: captureLogger('info').logger });
    try {
      const first = await session.run('show dsl', 10_000);
      assert.match(first, /vendor \u00ff x/, 'IAC IAC is one data byte 255');
      assert.match(first, /rate 100/, 'text after the subnegotiation');
      assert.ok(!/[\u00fa\u00f0]/.test(first), 'nothing of the subnegotiation in the text');
      // The device answered this line, so it had read every byte the session sent before it.
      assert.match(await session.run('show dsl', 10_000), /rate 100/);
      assert.deepEqual(heard.lines, ['admin', PASSWORD, 'show dsl', 'show dsl']);
      assert.deepEqual(
        heard.options,
        ['do 1', 'do 3', 'wont 24', 'dont 37'],
        'the repeated WILL ECHO is not acknowledged again',
      );
      assert.equal(session.connectionsOpened, 1);
    } finally {
      session.close();
    }
  });
});
