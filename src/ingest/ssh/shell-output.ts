/**
 * Terminal text as a person would read it: escape sequences removed, backspaces and carriage
 * returns applied (pagers erase `--More--` with them), CRLF turned into LF, trailing blanks cut.
 */
export function cleanTerminalText(raw: string): string {
  const noEsc = raw
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[()][A-Za-z0-9]/g, '')
    .replace(/\x1b[=>78DEHM]/g, '');
  const chars: string[] = [];
  for (const ch of noEsc) {
    if (ch === '\b') {
      if (chars.length > 0 && chars[chars.length - 1] !== '\n') chars.pop();
    } else if (ch !== '\x07' && ch !== '\0') chars.push(ch);
  }
  return chars
    .join('')
    .split('\n')
    .map((line) => {
      const noCr = line.replace(/\r+$/, '');
      const cut = noCr.lastIndexOf('\r');
      return (cut === -1 ? noCr : noCr.slice(cut + 1)).trimEnd();
    })
    .join('\n');
}

export type ShellEvent = 'more' | 'pager' | 'prompt';

/**
 * Collects one command's output from an interactive CLI. The caller feeds every chunk and acts
 * on the answer: `pager` means send a space, `prompt` means the output is complete. Prompt and
 * pager are only looked for on the last, unterminated line, because that is where a device
 * waits for input.
 */
export class ShellOutputCollector {
  private buf = '';
  private pages = 0;

  constructor(
    private readonly prompt: RegExp | string,
    private readonly pager: RegExp,
    private readonly maxBytes = 1 << 20,
  ) {}

  get length(): number {
    return this.buf.length;
  }

  get pagesAnswered(): number {
    return this.pages;
  }

  get tooLarge(): boolean {
    return this.buf.length > this.maxBytes;
  }

  push(chunk: string): ShellEvent {
    this.buf += chunk;
    const nl = this.buf.lastIndexOf('\n');
    const tailRaw = this.buf.slice(nl + 1);
    const tail = cleanTerminalText(tailRaw);
    if (this.pager.test(tail)) {
      // Drop the pager text itself; the device erases it on screen after the space.
      this.buf = this.buf.slice(0, nl + 1);
      this.pages += 1;
      return 'pager';
    }
    const atPrompt =
      typeof this.prompt === 'string'
        ? tail.trimEnd() === this.prompt.trimEnd() && tail !== ''
        : this.prompt.test(tail);
    return atPrompt ? 'prompt' : 'more';
  }

  /** The prompt as printed (last line), so later commands can wait for exactly that text. */
  promptText(): string {
    return cleanTerminalText(this.buf.slice(this.buf.lastIndexOf('\n') + 1));
  }

  /** The output without the echoed command line and without the closing prompt. */
  output(command?: string): string {
    const nl = this.buf.lastIndexOf('\n');
    const body = cleanTerminalText(this.buf.slice(0, nl + 1));
    const lines = body.split('\n');
    if (command !== undefined) {
      const echo = command.trim();
      // The echo is the first non-empty line, possibly after a stray prompt redraw.
      const first = lines.findIndex((l) => l.trim() !== '');
      if (first !== -1 && first < 2 && (lines[first] ?? '').trimEnd().endsWith(echo)) lines.splice(0, first + 1);
    }
    return lines.join('\n');
  }
}
