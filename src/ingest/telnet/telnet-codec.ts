/**
 * The telnet protocol (RFC 854, 855) as far as a client that types into a router CLI needs it:
 * reading a byte stream into text and option requests, escaping outgoing bytes, and answering
 * option negotiation. No socket here: the session wires `data` to `push` and writes the replies.
 *
 * Hand-written for the licence: kapacitor-udf-host is MIT, the telnet stream package it used
 * before is AGPL-3.0, and the permissively licensed ones on npm do not fit (one is a whole
 * login-and-command client with prompt handling of its own, another a MUD library that holds text
 * back until CR LF or GA, which a router prompt never ends with).
 */

/** Interpret As Command: every command starts with it; a data byte 255 is sent as two of them. */
export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
/** Subnegotiation Begin: option-specific bytes follow up to IAC SE. */
export const SB = 250;
export const SE = 240;

/** Telnet options (RFC 857, 858). */
export const ECHO = 1;
export const SUPPRESS_GO_AHEAD = 3;

export type Negotiation = 'will' | 'wont' | 'do' | 'dont';

export type TelnetEvent =
  /** Text from the peer, IAC escapes resolved: a view into the pushed chunk, valid until the next push. */
  | { type: 'data'; bytes: Buffer }
  /** An option request (`will`: the peer offers to use it; `do`: the peer asks us to). */
  | { type: Negotiation; option: number };

const NEGOTIATION: Readonly<Record<number, Negotiation>> = {
  [WILL]: 'will',
  [WONT]: 'wont',
  [DO]: 'do',
  [DONT]: 'dont',
};

const enum State {
  Data,
  /** After IAC. */
  Command,
  /** After IAC WILL/WONT/DO/DONT: the option byte comes next. */
  Option,
  /** Inside IAC SB ... IAC SE. */
  Sub,
  /** After IAC inside a subnegotiation. */
  SubCommand,
}

/**
 * Splits the bytes a telnet peer sends into text and option requests. A command may be cut
 * anywhere between two chunks; the decoder keeps its place. Subnegotiations are skipped whole
 * (this client agrees to no option that has one), and so is every other command (NOP, GA, ...).
 */
export class TelnetDecoder {
  private state = State.Data;
  private verb: Negotiation = 'will';

  push(chunk: Buffer): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    // Start of the run of text not yet emitted; -1 when there is none.
    let run = -1;
    const endRun = (end: number): void => {
      if (run >= 0 && end > run) events.push({ type: 'data', bytes: chunk.subarray(run, end) });
      run = -1;
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      switch (this.state) {
        case State.Data:
          if (b === IAC) {
            endRun(i);
            this.state = State.Command;
          } else if (run < 0) run = i;
          break;
        case State.Command: {
          const verb = NEGOTIATION[b];
          if (b === IAC) {
            // IAC IAC is one data byte 255: the text goes on from this second IAC.
            run = i;
            this.state = State.Data;
          } else if (verb !== undefined) {
            this.verb = verb;
            this.state = State.Option;
          } else this.state = b === SB ? State.Sub : State.Data;
          break;
        }
        case State.Option:
          events.push({ type: this.verb, option: b });
          this.state = State.Data;
          break;
        case State.Sub:
          if (b === IAC) this.state = State.SubCommand;
          break;
        case State.SubCommand:
          // IAC SE ends it; IAC IAC is a 255 inside it; anything else is malformed and skipped too.
          this.state = b === SE ? State.Data : State.Sub;
          break;
      }
    }
    endRun(chunk.length);
    return events;
  }
}

/** The bytes as telnet data: each 255 doubled, so the peer does not read it as a command. */
export function escapeIac(bytes: Buffer): Buffer {
  const count = bytes.reduce((n, b) => (b === IAC ? n + 1 : n), 0);
  if (count === 0) return bytes;
  const out = Buffer.allocUnsafe(bytes.length + count);
  let j = 0;
  for (const b of bytes) {
    out[j++] = b;
    if (b === IAC) out[j++] = IAC;
  }
  return out;
}

const COMMAND_OF: Readonly<Record<Negotiation, number>> = { will: WILL, wont: WONT, do: DO, dont: DONT };

/** The three bytes of an option command, e.g. IAC DO ECHO. */
export function negotiationBytes(verb: Negotiation, option: number): Buffer {
  return Buffer.from([IAC, COMMAND_OF[verb], option]);
}

/**
 * Answers the peer's option requests: the peer may use the options in `accept` (a router echoes
 * what is typed and suppresses go-ahead), and this client enables none of its own, so every DO is
 * refused. A request for the state an option is already in is not answered again (RFC 854), so a
 * peer that repeats itself cannot start a negotiation loop.
 */
export class TelnetNegotiator {
  private readonly accept: ReadonlySet<number>;
  /** Options the peer uses now, after our DO. */
  private readonly peerUses = new Set<number>();

  constructor(accept: Iterable<number> = [ECHO, SUPPRESS_GO_AHEAD]) {
    this.accept = new Set(accept);
  }

  /** The reply to one request, or undefined when it needs none. */
  answer(verb: Negotiation, option: number): Buffer | undefined {
    switch (verb) {
      case 'will':
        if (!this.accept.has(option)) return negotiationBytes('dont', option);
        if (this.peerUses.has(option)) return undefined;
        this.peerUses.add(option);
        return negotiationBytes('do', option);
      case 'wont':
        // The peer turns an option off: acknowledge it once, if it was on.
        if (!this.peerUses.delete(option)) return undefined;
        return negotiationBytes('dont', option);
      case 'do':
        return negotiationBytes('wont', option);
      case 'dont':
        // Our options are always off already.
        return undefined;
    }
  }
}
