/**
 * The suite's fake router as a login program, for a real telnet server to run on each
 * connection (`telnetd -E`): it asks for an account and password on its terminal, then runs
 * the same CLI as the SSH fake router (test/helpers/fake-router.ts) on stdin/stdout.
 * Usage: node fake-router-cli.js <config.json>; every event is appended to the config's log
 * file as a JSON line, so tests can count logins and commands across processes.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { runShell, type FakeAnswer } from './fake-router.js';

export interface FakeCliConfig {
  /** What the device asks first (`Account:`, `Username:`, `login:`); `null` for no user name. */
  loginPrompt: string | null;
  password: string;
  /** Printed before the login prompt. */
  banner?: string;
  prompt?: string;
  pageLines?: number;
  pager?: string;
  /** Prints nothing at all until the client sends a first byte, as some modems do. */
  holdUntilInput?: boolean;
  /** Command -> output; `hang` never answers; anything else prints `% unknown command`. */
  answers: Record<string, string>;
  /** Where events go (JSON lines). */
  log: string;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as FakeCliConfig;
const event = (e: Record<string, unknown>): void =>
  appendFileSync(config.log, `${JSON.stringify({ pid: process.pid, ...e })}\n`);

const stdin = process.stdin;
// A router CLI reads keys, not lines, and echoes them itself; the pty must not do it for it.
if (stdin.isTTY) stdin.setRawMode(true);
const out = (s: string): void => {
  process.stdout.write(s);
};

type Reader = (ch: string) => void;
let reader: Reader | undefined;
let held = config.holdUntilInput === true;
let lastWasCr = false;

function readLine(echo: boolean, done: (line: string) => void): void {
  let line = '';
  reader = (ch) => {
    if (ch === '\r' || ch === '\n') {
      out('\r\n');
      reader = undefined;
      done(line);
    } else if (ch === '\x7f' || ch === '\b') line = line.slice(0, -1);
    else {
      line += ch;
      if (echo) out(ch);
    }
  };
}

function askLogin(tries: number): void {
  const askPassword = (user: string): void => {
    out('Password: ');
    readLine(false, (pw) => {
      if (pw === config.password) {
        event({ event: 'login', user });
        startCli();
        return;
      }
      event({ event: 'badpassword', user });
      out('Login incorrect\r\n');
      if (tries >= 3) process.exit(1);
      askLogin(tries + 1);
    });
  };
  if (config.loginPrompt === null) askPassword('');
  else {
    out(`${config.loginPrompt} `);
    // An empty name asks again, as routers do when Enter is pressed at the login prompt.
    readLine(true, (user) => (user === '' ? askLogin(tries) : askPassword(user)));
  }
}

function startCli(): void {
  const listeners: ((d: Buffer) => void)[] = [];
  reader = (ch) => {
    for (const l of listeners) l(Buffer.from(ch, 'latin1'));
  };
  runShell(
    {
      write: out,
      onData: (cb) => listeners.push(cb),
      exit: () => process.exit(0),
    },
    {
      answer: (cmd): FakeAnswer => {
        const a = config.answers[cmd];
        return a === undefined ? `% unknown command: ${cmd}` : a;
      },
      ...(config.prompt !== undefined ? { prompt: config.prompt } : {}),
      ...(config.pageLines !== undefined ? { pageLines: config.pageLines } : {}),
      ...(config.pager !== undefined ? { pager: config.pager } : {}),
    },
    { onCommand: (command) => event({ event: 'command', command }), onPager: () => event({ event: 'pager' }) },
  );
}

function begin(): void {
  if (config.banner !== undefined) out(config.banner.replace(/\r?\n/g, '\r\n'));
  askLogin(1);
}

stdin.on('data', (d: Buffer) => {
  for (const ch of d.toString('latin1')) {
    // Enter arrives as CR LF or CR NUL from a telnet client: one key press.
    if (lastWasCr && (ch === '\n' || ch === '\0')) {
      lastWasCr = false;
      continue;
    }
    lastWasCr = ch === '\r';
    if (held) {
      held = false;
      event({ event: 'woken' });
      begin();
      continue;
    }
    reader?.(ch);
  }
});
stdin.on('end', () => process.exit(0));
event({ event: 'start' });
if (!held) begin();
