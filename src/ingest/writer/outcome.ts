/**
 * What one write request came to, and the rules that turn an HTTP status into it. The
 * rules follow what Telegraf users expect: retry what may succeed later, split what was too
 * large, set aside what will never be accepted, and keep (but shout about) what needs a
 * human: credentials or a missing database.
 */

export type SendOutcome =
  /** Written (2xx). */
  | { kind: 'ok' }
  /** Network error, timeout, 5xx, 408, 429: try again later; `retryAfterMs` when the server said when. */
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  /** 401, 403, 404 and unknown 4xx: the data is fine, the setup is not; keep it and retry slowly. */
  | { kind: 'hold'; reason: string; status: number; databaseMissing: boolean }
  /** 413: the request was too large; split it. */
  | { kind: 'split'; reason: string; status: number }
  /** 400, 422: some lines will never be accepted (type conflict, bad line, beyond retention). */
  | { kind: 'reject'; reason: string; status: number; dropped?: number };

/**
 * Classifies a non-2xx answer. `body` is the server's (already secret-scrubbed) text,
 * `retryAfter` the raw header.
 */
export function outcomeForStatus(
  status: number,
  body: string,
  retryAfter: string | undefined,
  nowMs: number,
): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const reason = `HTTP ${status}${body !== '' ? `: ${shorten(serverMessage(body))}` : ''}`;
  if (status === 429 || status === 503) {
    const after = parseRetryAfter(retryAfter, nowMs);
    return after !== undefined
      ? { kind: 'retry', reason, status, retryAfterMs: after }
      : { kind: 'retry', reason, status };
  }
  if (status >= 500 || status === 408) return { kind: 'retry', reason, status };
  if (status === 413) return { kind: 'split', reason, status };
  if (status === 400 || status === 422) {
    const m = /dropped=(\d+)/.exec(body);
    return m?.[1] !== undefined
      ? { kind: 'reject', reason, status, dropped: Number(m[1]) }
      : { kind: 'reject', reason, status };
  }
  // 404 is "database not found" on 1.x and "bucket not found" on 2.x: creatable, not the data's fault.
  return { kind: 'hold', reason, status, databaseMissing: status === 404 };
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** InfluxDB answers `{"error":"..."}` (1.x) or `{"code":..,"message":".."}` (2.x). */
function serverMessage(body: string): string {
  try {
    const j: unknown = JSON.parse(body);
    if (typeof j === 'object' && j !== null) {
      const o = j as Record<string, unknown>;
      if (typeof o['error'] === 'string') return o['error'];
      if (typeof o['message'] === 'string') return o['message'];
    }
  } catch {
    // Not JSON: use the text itself.
  }
  return body.trim();
}

function shorten(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
