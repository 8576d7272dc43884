/**
 * Turns raw terminal output into clean lines: CR/LF differences, ANSI escapes, backspace
 * overwrites, pager prompts, shell prompts and echoed commands are removed, so the family
 * parsers only see what the device printed.
 */

const ESC = 0x1b;
const BS = 0x08;

// Replays one physical line as a terminal would: `\r` and backspaces move the cursor and later
// characters overwrite earlier ones. Pagers erase `--More--` exactly this way.
function replayLine(raw: string): string {
  const cells: string[] = [];
  let cursor = 0;
  let i = 0;
  while (i < raw.length) {
    const code = raw.charCodeAt(i);
    if (code === 0x0d) {
      cursor = 0;
      i += 1;
    } else if (code === BS) {
      cursor = Math.max(0, cursor - 1);
      i += 1;
    } else if (code === ESC) {
      i = skipEscape(raw, i, (erase) => {
        if (erase === 'to-end') cells.length = Math.min(cells.length, cursor);
        else {
          cells.length = 0;
          cursor = 0;
        }
      });
    } else if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
      i += 1;
    } else {
      cells[cursor] = raw.charAt(i);
      cursor += 1;
      i += 1;
    }
  }
  return Array.from(cells, (c) => c ?? ' ').join('');
}

// Returns the index after the escape sequence starting at `start`; reports "erase line" requests.
function skipEscape(raw: string, start: number, onErase: (erase: 'to-end' | 'all') => void): number {
  const next = raw.charAt(start + 1);
  if (next === '[') {
    let j = start + 2;
    while (j < raw.length && /[0-9;?<=>!]/.test(raw.charAt(j))) j += 1;
    const final = raw.charAt(j);
    if (final === 'K') onErase(raw.slice(start + 2, j) === '2' ? 'all' : 'to-end');
    return j + 1;
  }
  if (next === ']') {
    // OSC runs until BEL or ESC \.
    let j = start + 2;
    while (j < raw.length && raw.charCodeAt(j) !== 0x07 && raw.charCodeAt(j) !== ESC) j += 1;
    return raw.charCodeAt(j) === ESC ? j + 2 : j + 1;
  }
  if (next === '(' || next === ')') return start + 3;
  return start + 2;
}

const PAGER_TOKEN = /<?-+ *more *-+>?(?: *\(\d+%\))?|press (?:any key|<?space>?|enter) to continue\.*|\(q\)uit/gi;

const PROMPT = String.raw`(?:[\w.@:~/\-\[\]()]+(?: +[\w.~/\-]+)? *)?[#>$%]`;
const PROMPT_ONLY = new RegExp(String.raw`^\s*${PROMPT}\s*$`);
const COMMAND = String.raw`(?:(?:xdslctl|xdslcmd|adslctl|adsl|vdsl)\s+(?:info|status|stats|show|profile)\b|show\s+(?:adsl|dsl|vdsl|xdsl|controllers?)\b|(?:/etc/init\.d/)?dsl_control\s+\w+|cat\s+/proc/\S+|ubus\s+call\b|wan\s+adsl\b|(?:sh|shell|su|enable|exit|logout)\s*$)`;
const ECHOED_COMMAND = new RegExp(String.raw`^\s*(?:${PROMPT}\s*)?${COMMAND}`);
const USER_HOST_PROMPT = /^[\w.-]+@[\w.-]+(?::\S*|\s+\S+)?\s*[#$]\s/;

function isNoiseLine(line: string): boolean {
  if (line.length === 0) return false;
  if (line.length < 80 && PROMPT_ONLY.test(line)) return true;
  if (USER_HOST_PROMPT.test(line)) return true;
  // An echoed command never carries a "label: value" pair; device output that starts like one does.
  return ECHOED_COMMAND.test(line) && !/:\s/.test(line.replace(/^.*?[#>$%]\s*/, ''));
}

/** Device output as clean lines (no trailing whitespace, no CR, no prompts or pager residue). */
export interface NormalizedText {
  readonly lines: readonly string[];
  /** `lines` joined with `\n`. */
  readonly text: string;
}

/** Cleans raw terminal output; never throws. */
export function normalizeText(raw: string): NormalizedText {
  const lines: string[] = [];
  for (const physical of raw.split('\n')) {
    const line = replayLine(physical).replace(PAGER_TOKEN, '').trimEnd();
    if (!isNoiseLine(line)) lines.push(line);
  }
  return { lines, text: lines.join('\n') };
}
