/**
 * Web pages carry their status text inside markup: a `<pre>`/`<textarea>` of an HTML page, or a
 * JSON reply holding the text as a string (newer ZyXEL firmware). These helpers give back the
 * text a browser would show, so a family parser reads lines as it would from a CLI.
 */

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

/** `&amp;`, `&nbsp;`, `&#45;`, `&#x2D;` decoded; unknown entities are left as they are. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const LOOKS_LIKE_HTML = /<(?:!doctype|html|head|body|div|pre|textarea|table|td|span|br|p|form)\b/i;

/** The visible text of an HTML page: line breaks for `<br>` and block ends, tags dropped, entities decoded. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/(?:p|div|tr|li|h\d|table|pre|textarea)\s*>/gi, '\n')
      .replace(/<\/t[dh]\s*>/gi, '  ')
      .replace(/<[^>]*>/g, ''),
  );
}

// Every string inside a parsed JSON value, in document order.
function jsonStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) jsonStrings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) jsonStrings(v, out);
}

/**
 * The text of a page reply: the string values of a JSON body joined by newlines, the visible
 * text of an HTML page, or the body itself when it is plain text. Never throws.
 */
export function webPageText(body: string): string {
  const trimmed = body.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      const out: string[] = [];
      jsonStrings(JSON.parse(trimmed) as unknown, out);
      if (out.length > 0) return out.join('\n');
    } catch {
      // Not JSON after all: read it as text.
    }
  }
  return LOOKS_LIKE_HTML.test(body) ? htmlToText(body) : body;
}
