/**
 * Keeps secrets out of anything the writer logs or throws. pino's redaction only covers
 * object keys; secrets can also hide inside URLs and inside error messages built by
 * libraries, so those are scrubbed here by value.
 */

const CENSOR = '[redacted]';

/** Replaces the password (and any token-like query parameter) of a URL. Unparseable input is returned scrubbed of `user:pass@`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = CENSOR;
    for (const key of [...u.searchParams.keys()]) {
      if (/^(p|password|token|u|username)$/i.test(key)) u.searchParams.set(key, CENSOR);
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/([^/@:\s]+):([^/@\s]+)@/g, `//$1:${CENSOR}@`);
  }
}

/**
 * Returns a function that removes every known secret value from a text. Secrets shorter
 * than 3 characters are ignored: replacing them would mangle ordinary words and they are
 * not worth hiding by value anyway.
 */
export function secretScrubber(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const values = [...new Set(secrets.filter((s): s is string => s !== undefined && s.length >= 3))]
    // Longest first, so a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length);
  const encoded = values.flatMap((v) => {
    const forms = [v, encodeURIComponent(v), Buffer.from(v).toString('base64')];
    return [...new Set(forms)];
  });
  return (text: string) => {
    let out = text.replace(/\/\/([^/@:\s]+):([^/@\s]+)@/g, `//$1:${CENSOR}@`);
    for (const v of encoded) out = out.split(v).join(CENSOR);
    return out;
  };
}

/** A plain description of an error for a log line: name, code, status and message, scrubbed. */
export function describeError(
  err: unknown,
  scrub: (text: string) => string,
): { name: string; code?: string; status?: number; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const status =
      (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    const out: { name: string; code?: string; status?: number; message: string } = {
      name: err.name,
      message: scrub(err.message),
    };
    if (typeof code === 'string') out.code = code;
    if (typeof status === 'number') out.status = status;
    return out;
  }
  return { name: 'NonError', message: scrub(String(err)) };
}
