import type { KapacitorCredentials } from './credentials.js';
import { RecoveryError } from './errors.js';

/** What recovery reads of a task (GET /kapacitor/v1/tasks/:id). */
export interface TaskView {
  id: string;
  status: 'enabled' | 'disabled';
  /** Running now; false for a failed task, which Kapacitor keeps `enabled`. */
  executing: boolean;
  /** The error that stopped it, or ''. */
  error: string;
}

/** The few calls of Kapacitor's HTTP API that bring a task back. */
export interface TaskApi {
  /** undefined when Kapacitor has no such task (deleted). */
  task(id: string): Promise<TaskView | undefined>;
  setStatus(id: string, status: 'enabled' | 'disabled'): Promise<void>;
}

/** Checks `--kapacitor-url`: http or https, no user info (credentials come from the environment). */
export function parseKapacitorUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RecoveryError('KUDF_RECOVERY_BAD_URL', `--kapacitor-url: not a URL: '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RecoveryError(
      'KUDF_RECOVERY_BAD_URL',
      `--kapacitor-url: expected http:// or https://, got ${url.protocol}`,
    );
  if (url.username !== '' || url.password !== '') {
    throw new RecoveryError(
      'KUDF_RECOVERY_BAD_URL',
      '--kapacitor-url: put no credentials in the URL (they would show in process lists and logs); use KAPACITOR_USERNAME and KAPACITOR_PASSWORD or their _FILE variants',
    );
  }
  return url;
}

/** Kapacitor's task API over fetch, with basic auth when credentials are given. */
export class KapacitorClient implements TaskApi {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly base: URL,
    credentials: KapacitorCredentials | undefined,
    private readonly timeoutMs = 5000,
  ) {
    this.headers = { 'content-type': 'application/json' };
    if (credentials !== undefined)
      this.headers['authorization'] =
        `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  /** The URL without path or credentials, for log lines. */
  get description(): string {
    return this.base.origin;
  }

  async task(id: string): Promise<TaskView | undefined> {
    const res = await this.call('GET', id);
    if (res.status === 404) return undefined;
    const body = (await res.json()) as Partial<TaskView>;
    return {
      id,
      status: body.status === 'disabled' ? 'disabled' : 'enabled',
      executing: body.executing === true,
      error: typeof body.error === 'string' ? body.error : '',
    };
  }

  async setStatus(id: string, status: 'enabled' | 'disabled'): Promise<void> {
    const res = await this.call('PATCH', id, { status });
    if (res.status === 404) throw new RecoveryError('KUDF_RECOVERY_API', `task ${id}: no such task`);
  }

  private async call(method: 'GET' | 'PATCH', id: string, body?: unknown): Promise<Response> {
    const url = new URL(
      `kapacitor/v1/tasks/${encodeURIComponent(id)}`,
      this.base.href.endsWith('/') ? this.base : new URL(`${this.base.href}/`),
    );
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new RecoveryError(
        'KUDF_RECOVERY_API',
        `${method} task ${id}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    if (res.ok || res.status === 404) return res;
    const text = await res.text().catch(() => '');
    const detail = /"error"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? text.slice(0, 200);
    throw new RecoveryError(
      'KUDF_RECOVERY_API',
      `${method} task ${id}: HTTP ${res.status}${detail !== '' ? `: ${detail}` : ''}`,
    );
  }
}
