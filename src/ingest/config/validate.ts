import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from './errors.js';
import { ConfigReader } from './reader.js';
import { readSecret, type SecretSources } from './secrets.js';
import { LEGACY_ALGORITHMS, availableLegacyAlgorithms, isLegacyAlgorithmAvailable } from './legacy-algorithms.js';
import { PARSER_FAMILIES } from '../parsers/index.js';
import type {
  HostKeyPolicy,
  HttpLogin,
  HttpSettings,
  LegacyAlgorithms,
  PollConfig,
  RouterAuth,
  RouterConfig,
  RouterTransport,
  ShellSettings,
  TelnetSettings,
  Tr064Settings,
} from './types.js';

export interface ValidateOptions {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
  /** Relative paths in the file (key files, known_hosts) are resolved against this directory. */
  baseDir: string;
  homeDir: string;
  file?: string;
}

const ROUTER_KEYS = [
  'name',
  'address',
  'port',
  'user',
  'auth',
  'command',
  'parser',
  'interval',
  'timeout',
  'connectTimeout',
  'mode',
  'shell',
  'tags',
  'legacyAlgorithms',
  'hostKey',
  'transport',
  'telnet',
  'tr064',
  'http',
] as const;
const DEFAULT_KEYS = ROUTER_KEYS.filter((k) => k !== 'name' && k !== 'address');
const TOP_KEYS = [
  'defaults',
  'routers',
  'concurrency',
  'maxBackoff',
  'jitter',
  'shutdownTimeout',
  'queueDir',
  'influx',
];
const AUTH_KEYS = [
  'password',
  'passwordEnv',
  'passwordFile',
  'privateKey',
  'privateKeyEnv',
  'privateKeyFile',
  'passphrase',
  'passphraseEnv',
  'passphraseFile',
];
const SHELL_KEYS = ['prompt', 'pager', 'setup'];
const TELNET_KEYS = ['loginPrompt', 'passwordPrompt', 'loginFailed', 'wakeAfter'];
const TR064_KEYS = ['https', 'insecureSkipVerify', 'caFile', 'controlUrl', 'service'];
const HTTP_KEYS = ['url', 'login', 'tlsVerify', 'caFile', 'form'];
const HTTP_FORM_KEYS = ['url', 'userField', 'passwordField', 'fields', 'loggedOut', 'failed'];
const HTTP_LOGINS: readonly HttpLogin[] = ['none', 'basic', 'digest', 'form'];
const TRANSPORTS = ['ssh', 'telnet', 'tr064', 'http'] as const;
const DEFAULT_PORTS: Readonly<Record<RouterTransport, number>> = { ssh: 22, telnet: 23, tr064: 49000, http: 80 };
/** What a TR-064 poll asks by default: the DSL line (GetInfo), its counters, and AVM's extra line data where the box has it. */
export const DEFAULT_TR064_ACTIONS = 'GetInfo, GetStatisticsTotal, X_AVM-DE_GetDSLInfo';
const HOSTKEY_KEYS = ['knownHosts', 'fingerprint', 'acceptAny'];
/**
 * Writer settings a config may hold; each is the `--influx-*` flag of the same name
 * (`batchSize` = `--influx-batch-size`). Secrets belong in the environment
 * (INFLUX_TOKEN[_FILE], INFLUXDB_PASSWORD[_FILE]), which the writer's resolver reads.
 */
export const INFLUX_KEYS = [
  'api',
  'url',
  'token',
  'org',
  'bucket',
  'db',
  'rp',
  'user',
  'password',
  'createDb',
  'precision',
  'gzip',
  'insecureSkipVerify',
  'caFile',
  'batchSize',
  'flushInterval',
  'timeout',
  'queueMaxBytes',
  'deadLetterMaxBytes',
  'retryMinDelay',
  'retryMaxDelay',
  'retryAfterMax',
];
const LEGACY_KEYS = ['kex', 'cipher', 'serverHostKey', 'hmac'] as const;

/** Matches prompts such as `router> `, `admin@dsl#`, `~ $ `, `[root@x ~]# ` on the last line. */
export const DEFAULT_PROMPT = /^[^\r\n]{0,80}[>#$%]\s?$/;
/** Matches the usual pagers: `--More--`, ` --More-- (q to quit)`, `-- More --`, `<--- More --->`. */
export const DEFAULT_PAGER = /-{2,}\s*More\s*-{2,}|<-+\s*More\s*-+>/i;
/** Telnet login prompts: `Account:` (TrendChip, ZyXEL), `Username:` (DrayTek, Cisco), `login:` (BusyBox). */
export const DEFAULT_LOGIN_PROMPT = /(?:account|user(?:\s*name)?|login)\s*:\s*$/i;
export const DEFAULT_PASSWORD_PROMPT = /password\s*:\s*$/i;
/** What devices print after a wrong password. */
export const DEFAULT_LOGIN_FAILED =
  /login incorrect|incorrect password|(?:authentication|login) failed|access denied|invalid (?:login|password|user)|bad password/i;

/**
 * Checks raw config data (from YAML or JSON), resolves secrets and returns the config every
 * other part uses. Throws one ConfigError listing every issue, each named by its key.
 */
export function validatePollConfig(raw: unknown, opts: ValidateOptions): PollConfig {
  const issues: ConfigIssue[] = [];
  const root = new ConfigReader(raw, '', issues);
  if (!root.isObject()) {
    throw new ConfigError(
      [{ path: '', message: 'the file must hold a mapping with a `routers` list' }],
      opts.file !== undefined ? { file: opts.file } : undefined,
    );
  }
  root.rejectUnknown(TOP_KEYS);
  const resolvePath = (p: string): string => {
    if (p === '~' || p.startsWith('~/')) return join(opts.homeDir, p.slice(1));
    return isAbsolute(p) ? p : resolve(opts.baseDir, p);
  };
  const sources: SecretSources = { env: opts.env, readFile: opts.readFile, resolvePath };

  const defaults = root.child('defaults');
  if (defaults.value !== undefined) defaults.rejectUnknown(DEFAULT_KEYS);

  const routersR = root.child('routers');
  const routers: RouterConfig[] = [];
  if (!Array.isArray(routersR.value) || routersR.value.length === 0) {
    routersR.issue('must be a non-empty list of routers');
  } else {
    const seen = new Map<string, number>();
    routersR.value.forEach((_, i) => {
      const r = routersR.child(i);
      const rawName = r.child('name').value;
      if (typeof rawName === 'string') {
        const prev = seen.get(rawName);
        if (prev !== undefined) r.issue(`duplicate router name "${rawName}" (also routers[${prev}])`, 'name');
        else seen.set(rawName, i);
      }
      const router = readRouter(r, defaults, sources);
      if (router !== undefined) routers.push(router);
    });
  }

  const concurrency = optional(root.child('concurrency'), (c) => c.integer(1, 10_000)) ?? 16;
  const maxBackoffMs = optional(root.child('maxBackoff'), (c) => c.durationMs(1000)) ?? 15 * 60_000;
  const jitter = optional(root.child('jitter'), (c) => c.number(0, 0.5)) ?? 0.1;
  const shutdownTimeoutMs = optional(root.child('shutdownTimeout'), (c) => c.durationMs(0)) ?? 10_000;
  const queueDirRaw = optional(root.child('queueDir'), (c) => c.string({ nonEmpty: true }));
  const influxR = root.child('influx');
  let influx: Record<string, unknown> | undefined;
  if (influxR.value !== undefined) {
    if (influxR.isObject()) {
      influxR.rejectUnknown(INFLUX_KEYS);
      influx = {};
      for (const k of influxR.keys() ?? []) {
        const v = influxR.child(k);
        if (typeof v.value === 'string' || typeof v.value === 'number' || typeof v.value === 'boolean')
          influx[k] = v.value;
        else v.issue('must be a string, number or boolean');
      }
    } else influxR.issue('must be a mapping');
  }

  if (issues.length > 0) throw new ConfigError(issues, opts.file !== undefined ? { file: opts.file } : undefined);
  return {
    routers,
    concurrency,
    maxBackoffMs,
    jitter,
    shutdownTimeoutMs,
    queueDir: queueDirRaw === undefined ? undefined : resolvePath(queueDirRaw),
    influx,
  };
}

function optional<T>(r: ConfigReader, read: (r: ConfigReader) => T | undefined): T | undefined {
  return r.value === undefined ? undefined : read(r);
}

/** The router's own value for a key, else the one under `defaults`. */
function pick(router: ConfigReader, defaults: ConfigReader, key: string): ConfigReader {
  const own = router.child(key);
  return own.value !== undefined ? own : defaults.child(key);
}

function readRouter(r: ConfigReader, defaults: ConfigReader, sources: SecretSources): RouterConfig | undefined {
  if (!r.isObject()) return r.issue('must be a mapping');
  r.rejectUnknown(ROUTER_KEYS);
  const name = r.child('name').string({ nonEmpty: true });
  const address = r.child('address').string({ nonEmpty: true });
  const transportR = pick(r, defaults, 'transport');
  let transport: RouterTransport = 'ssh';
  if (transportR.value !== undefined) {
    const t = TRANSPORTS.find((k) => k === transportR.value);
    if (t !== undefined) transport = t;
    else transportR.issue(`must be one of ${TRANSPORTS.map((k) => `"${k}"`).join(', ')}`);
  }
  const tr064 = readTr064(r.child('tr064'), defaults.child('tr064'), sources);
  // TR-064 over HTTPS listens on its own port (49443 on a FRITZ!Box).
  const defaultPort = transport === 'tr064' && tr064?.https === true ? 49443 : DEFAULT_PORTS[transport];
  const portOpt = optional(pick(r, defaults, 'port'), (c) => c.integer(1, 65535)) ?? defaultPort;
  const http =
    transport === 'http'
      ? readHttp(r.child('http'), defaults.child('http'), address, pick(r, defaults, 'port'), r.has('port'), sources)
      : undefined;
  if (transport !== 'http' && r.has('http')) r.issue('applies to transport: http only', 'http');
  // An http router's port is the one of its page URL.
  const pageUrl = http === undefined ? undefined : new URL(http.url);
  const port = pageUrl === undefined ? portOpt : Number(pageUrl.port || (pageUrl.protocol === 'https:' ? 443 : 80));
  // A page that needs no login needs no user and no password.
  const noLogin = http?.login === 'none';
  const userR = pick(r, defaults, 'user');
  const user = noLogin && userR.value === undefined ? '' : userR.string({ nonEmpty: true });
  const commandR = pick(r, defaults, 'command');
  // A TR-064 router's "command" is its list of SOAP actions, with a default; an HTTP router's
  // is its page URL.
  let command: string | undefined;
  if (transport === 'http') {
    if (r.has('command')) r.issue('an http router fetches http.url; leave command out', 'command');
    command = http?.url ?? '';
  } else if (transport === 'tr064' && commandR.value === undefined) command = DEFAULT_TR064_ACTIONS;
  else command = commandR.string({ nonEmpty: true });
  const parserR = pick(r, defaults, 'parser');
  if (transport === 'http' && parserR.value === undefined)
    r.issue(`an http router needs the page kind: zyxel, bthub, speedport (or auto)`, 'parser');
  const parser = optional(parserR, readParserFamily) ?? (transport === 'tr064' ? 'tr064' : 'auto');
  const intervalMs = optional(pick(r, defaults, 'interval'), (c) => c.durationMs(1000)) ?? 60_000;
  const timeoutMs = optional(pick(r, defaults, 'timeout'), (c) => c.durationMs(100)) ?? 15_000;
  const connectTimeoutMs = optional(pick(r, defaults, 'connectTimeout'), (c) => c.durationMs(100)) ?? 10_000;
  const modeR = pick(r, defaults, 'mode');
  let mode: 'exec' | 'shell' = 'exec';
  if (modeR.value !== undefined) {
    if (modeR.value === 'exec' || modeR.value === 'shell') mode = modeR.value;
    else modeR.issue('must be "exec" or "shell"');
  }
  const shell = readShell(r.child('shell'), defaults.child('shell'));
  const tags = readTags(r.child('tags'), defaults.child('tags'));
  const legacyAlgorithms = readLegacy(pick(r, defaults, 'legacyAlgorithms'));
  const hostKey = readHostKey(pick(r, defaults, 'hostKey'), sources);
  // Given nowhere, the router's own key is the one to name: that is where most configs put it.
  const authR = defaults.child('auth').value === undefined ? r.child('auth') : pick(r, defaults, 'auth');
  const auth = noLogin && authR.value === undefined ? {} : readAuth(authR, sources);
  const telnet = readTelnet(r.child('telnet'), defaults.child('telnet'));
  if (transport !== 'ssh' && !noLogin && auth !== undefined && auth.password === undefined) {
    pick(r, defaults, 'auth').issue(`${transport} logs in with a password: give password, passwordEnv or passwordFile`);
  }
  if (
    name === undefined ||
    address === undefined ||
    user === undefined ||
    command === undefined ||
    shell === undefined ||
    tags === undefined ||
    hostKey === undefined ||
    auth === undefined ||
    telnet === undefined ||
    tr064 === undefined ||
    (transport === 'http' && http === undefined)
  ) {
    return undefined;
  }
  return {
    name,
    address,
    port,
    user,
    auth,
    command,
    parser,
    intervalMs,
    timeoutMs,
    connectTimeoutMs,
    mode,
    shell,
    tags,
    legacyAlgorithms,
    hostKey,
    transport,
    telnet,
    tr064,
    http,
  };
}

function readHttp(
  own: ConfigReader,
  dflt: ConfigReader,
  address: string | undefined,
  portR: ConfigReader,
  ownPort: boolean,
  sources: SecretSources,
): HttpSettings | undefined {
  for (const s of [dflt, own]) if (s.value !== undefined) s.rejectUnknown(HTTP_KEYS);
  const field = (key: string): ConfigReader => (own.has(key) ? own.child(key) : dflt.child(key));
  const urlR = field('url');
  if (urlR.value === undefined)
    return own.issue('is required: give the status page as an http:// or https:// URL, or a path', 'url');
  const raw = urlR.string({ nonEmpty: true });
  if (raw === undefined || address === undefined) return undefined;
  let url: URL;
  try {
    // A path is fetched from the router's address (and port, default 80) over plain HTTP.
    url = raw.startsWith('/')
      ? new URL(
          raw,
          `http://${address.includes(':') ? `[${address}]` : address}:${typeof portR.value === 'number' ? portR.value : 80}`,
        )
      : new URL(raw);
  } catch {
    return urlR.issue('must be an http:// or https:// URL, or a path starting with /');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return urlR.issue('must be an http:// or https:// URL');
  if (url.username !== '' || url.password !== '')
    return urlR.issue('must not hold a user or password: give user and auth instead');
  if (!raw.startsWith('/') && ownPort)
    own.issue('the port is part of http.url; leave port out or give url as a path', 'url');

  const loginR = field('login');
  let login: HttpLogin = 'basic';
  if (loginR.value !== undefined) {
    const l = HTTP_LOGINS.find((k) => k === loginR.value);
    if (l === undefined) return loginR.issue(`must be one of ${HTTP_LOGINS.map((k) => `"${k}"`).join(', ')}`);
    login = l;
  }
  const tlsR = field('tlsVerify');
  let tlsVerify = true;
  if (tlsR.value !== undefined) {
    if (typeof tlsR.value !== 'boolean') return tlsR.issue('must be true or false');
    tlsVerify = tlsR.value;
  }
  const caR = field('caFile');
  const caFile = caR.value === undefined ? undefined : caR.string({ nonEmpty: true });
  if (caR.value !== undefined && caFile === undefined) return undefined;
  if (url.protocol === 'http:' && (tlsR.value !== undefined || caFile !== undefined))
    own.issue('tlsVerify and caFile apply to an https:// url only', tlsR.value !== undefined ? 'tlsVerify' : 'caFile');
  if (!tlsVerify && caFile !== undefined) own.issue('give caFile or tlsVerify: false, not both', 'caFile');

  const formR = field('form');
  if (login !== 'form') {
    if (formR.value !== undefined) own.issue('applies to login: form only', 'form');
    return {
      url: url.href,
      login,
      tlsVerify,
      caFile: caFile === undefined ? undefined : sources.resolvePath(caFile),
      form: undefined,
    };
  }
  if (formR.value === undefined)
    return own.issue('is required with login: form: give url, userField and passwordField', 'form');
  if (!formR.isObject()) return formR.issue('must be a mapping');
  formR.rejectUnknown(HTTP_FORM_KEYS);
  const formUrlRaw = formR.child('url').string({ nonEmpty: true });
  const userField = formR.child('userField').string({ nonEmpty: true });
  const passwordField = formR.child('passwordField').string({ nonEmpty: true });
  const fieldsR = formR.child('fields');
  const fields: Record<string, string> = {};
  for (const k of fieldsR.value === undefined ? [] : (fieldsR.keys() ?? [])) {
    const v = fieldsR.child(k);
    if (typeof v.value === 'string' || typeof v.value === 'number') fields[k] = String(v.value);
    else v.issue('must be a string');
  }
  const regex = (key: string): RegExp | undefined | null => {
    const c = formR.child(key);
    if (c.value === undefined) return undefined;
    // Matched against a page body: letter case is not the device's contract.
    const re = c.regex();
    return re === undefined ? null : new RegExp(re.source, 'i');
  };
  const loggedOut = regex('loggedOut');
  const failed = regex('failed');
  if (formUrlRaw === undefined || userField === undefined || passwordField === undefined) return undefined;
  if (loggedOut === null || failed === null) return undefined;
  let formUrl: URL;
  try {
    formUrl = new URL(formUrlRaw, url);
  } catch {
    return formR.child('url').issue('must be a URL or a path');
  }
  if (formUrl.origin !== url.origin)
    return formR
      .child('url')
      .issue(`must be on the same host as http.url (${url.origin}): the session cookie is sent there only`);
  return {
    url: url.href,
    login,
    tlsVerify,
    caFile: caFile === undefined ? undefined : sources.resolvePath(caFile),
    form: { url: formUrl.href, userField, passwordField, fields, loggedOut, failed },
  };
}

function readTr064(own: ConfigReader, dflt: ConfigReader, sources: SecretSources): Tr064Settings | undefined {
  for (const s of [dflt, own]) if (s.value !== undefined) s.rejectUnknown(TR064_KEYS);
  const field = (key: string): ConfigReader => (own.has(key) ? own.child(key) : dflt.child(key));
  const flag = (key: string): boolean | undefined => {
    const c = field(key);
    if (c.value === undefined) return false;
    if (typeof c.value === 'boolean') return c.value;
    return c.issue('must be true or false');
  };
  const https = flag('https');
  const insecureSkipVerify = flag('insecureSkipVerify');
  const caR = field('caFile');
  const caFile = caR.value === undefined ? undefined : caR.string({ nonEmpty: true });
  const controlUrl =
    field('controlUrl').value === undefined
      ? '/upnp/control/wandslifconfig1'
      : field('controlUrl').string({ nonEmpty: true });
  const service =
    field('service').value === undefined
      ? 'urn:dslforum-org:service:WANDSLInterfaceConfig:1'
      : field('service').string({ nonEmpty: true });
  if (https === undefined || insecureSkipVerify === undefined || controlUrl === undefined || service === undefined)
    return undefined;
  if (caR.value !== undefined && caFile === undefined) return undefined;
  if (!controlUrl.startsWith('/')) return field('controlUrl').issue('must be a path starting with /');
  if ((insecureSkipVerify || caFile !== undefined) && !https) {
    own.issue(
      'insecureSkipVerify and caFile apply to https only',
      insecureSkipVerify ? 'insecureSkipVerify' : 'caFile',
    );
  }
  return {
    https,
    insecureSkipVerify,
    caFile: caFile === undefined ? undefined : sources.resolvePath(caFile),
    controlUrl,
    service,
  };
}

function readTelnet(own: ConfigReader, dflt: ConfigReader): TelnetSettings | undefined {
  for (const s of [dflt, own]) if (s.value !== undefined) s.rejectUnknown(TELNET_KEYS);
  const field = (key: string): ConfigReader => (own.has(key) ? own.child(key) : dflt.child(key));
  const regex = (key: string, dfltValue: RegExp): RegExp | undefined => {
    const c = field(key);
    return c.value === undefined ? dfltValue : c.regex();
  };
  const loginPrompt = regex('loginPrompt', DEFAULT_LOGIN_PROMPT);
  const passwordPrompt = regex('passwordPrompt', DEFAULT_PASSWORD_PROMPT);
  const loginFailed = regex('loginFailed', DEFAULT_LOGIN_FAILED);
  const wakeR = field('wakeAfter');
  const wakeMs = wakeR.value === undefined ? 2000 : wakeR.durationMs(100);
  if (loginPrompt === undefined || passwordPrompt === undefined || loginFailed === undefined || wakeMs === undefined)
    return undefined;
  return { loginPrompt, passwordPrompt, loginFailed, wakeMs };
}

function readParserFamily(c: ConfigReader): string | undefined {
  const v = c.string({ nonEmpty: true });
  if (v === undefined) return undefined;
  if (v !== 'auto' && !(PARSER_FAMILIES as readonly string[]).includes(v)) {
    return c.issue(`unknown parser family "${v}" (known: auto, ${PARSER_FAMILIES.join(', ')})`);
  }
  return v;
}

function readAuth(a: ConfigReader, sources: SecretSources): RouterAuth | undefined {
  if (a.value === undefined)
    return a.issue(
      'is required (here or under defaults): give password, passwordEnv, passwordFile, privateKey, privateKeyEnv or privateKeyFile',
    );
  if (!a.isObject()) return a.issue('must be a mapping');
  a.rejectUnknown(AUTH_KEYS);
  const password = readSecret(a, 'password', sources, { trimFile: true });
  const privateKey = readSecret(a, 'privateKey', sources, { trimFile: false });
  const passphrase = readSecret(a, 'passphrase', sources, { trimFile: true });
  const anyGiven = AUTH_KEYS.some((k) => a.has(k));
  if (!anyGiven) return a.issue('needs a password or a private key');
  const keyGiven = a.has('privateKey') || a.has('privateKeyEnv') || a.has('privateKeyFile');
  if ((a.has('passphrase') || a.has('passphraseEnv') || a.has('passphraseFile')) && !keyGiven) {
    a.issue('a passphrase needs a private key', 'passphrase');
  }
  const auth: RouterAuth = {};
  if (password !== undefined) auth.password = password;
  if (privateKey !== undefined) auth.privateKey = privateKey;
  if (passphrase !== undefined) auth.passphrase = passphrase;
  return auth;
}

function readShell(own: ConfigReader, dflt: ConfigReader): ShellSettings | undefined {
  for (const s of [dflt, own]) if (s.value !== undefined) s.rejectUnknown(SHELL_KEYS);
  const field = (key: string): ConfigReader => (own.has(key) ? own.child(key) : dflt.child(key));
  const promptR = field('prompt');
  const pagerR = field('pager');
  const setupR = field('setup');
  const prompt = promptR.value === undefined ? DEFAULT_PROMPT : promptR.regex();
  const pager = pagerR.value === undefined ? DEFAULT_PAGER : pagerR.regex();
  const setup = setupR.value === undefined ? [] : setupR.stringList();
  if (prompt === undefined || pager === undefined || setup === undefined) return undefined;
  return { prompt, pager, setup };
}

function readTags(own: ConfigReader, dflt: ConfigReader): Record<string, string> | undefined {
  const tags: Record<string, string> = {};
  let ok = true;
  for (const t of [dflt, own]) {
    if (t.value === undefined) continue;
    const keys = t.keys();
    if (keys === undefined) {
      ok = false;
      continue;
    }
    for (const k of keys) {
      const v = t.child(k);
      if (k === 'host') {
        v.issue('is reserved: the router name is the `host` tag');
        ok = false;
      } else if (k === '' || k.startsWith('_')) {
        v.issue('is not a usable tag key');
        ok = false;
      } else if (typeof v.value === 'string' && v.value !== '') tags[k] = v.value;
      else if (typeof v.value === 'number' || typeof v.value === 'boolean') tags[k] = String(v.value);
      else {
        v.issue('must be a non-empty string');
        ok = false;
      }
    }
  }
  return ok ? tags : undefined;
}

function readLegacy(r: ConfigReader): LegacyAlgorithms | undefined {
  if (r.value === undefined || r.value === false) return undefined;
  if (r.value === true) return availableLegacyAlgorithms();
  if (!r.isObject()) return r.issue('must be true, false, or a mapping of kex/cipher/serverHostKey/hmac lists');
  r.rejectUnknown(LEGACY_KEYS);
  const out: { -readonly [K in keyof LegacyAlgorithms]: string[] } = {
    kex: [],
    cipher: [],
    serverHostKey: [],
    hmac: [],
  };
  for (const kind of LEGACY_KEYS) {
    const list = optional(r.child(kind), (c) => c.stringList()) ?? [];
    list.forEach((name, i) => {
      if (!LEGACY_ALGORITHMS[kind].includes(name)) {
        r.child(kind)
          .child(i)
          .issue(`"${name}" is not a known legacy algorithm (known: ${LEGACY_ALGORITHMS[kind].join(', ')})`);
      } else if (!isLegacyAlgorithmAvailable(kind, name)) {
        r.child(kind).child(i).issue(`"${name}" is not available in this Node.js/OpenSSL build`);
      } else out[kind].push(name);
    });
  }
  return out;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

function readHostKey(r: ConfigReader, sources: SecretSources): HostKeyPolicy | undefined {
  if (r.value === undefined) return { kind: 'knownHosts', file: sources.resolvePath('~/.ssh/known_hosts') };
  if (!r.isObject()) return r.issue('must be a mapping with knownHosts, fingerprint or acceptAny');
  r.rejectUnknown(HOSTKEY_KEYS);
  const given = HOSTKEY_KEYS.filter((k) => r.has(k));
  if (given.length !== 1)
    return r.issue(
      `give exactly one of knownHosts, fingerprint, acceptAny (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    );
  if (r.has('acceptAny')) {
    const v = r.child('acceptAny');
    if (v.value !== true) return v.issue('must be true (leave it out to verify host keys)');
    return { kind: 'acceptAny' };
  }
  if (r.has('knownHosts')) {
    const file = r.child('knownHosts').string({ nonEmpty: true });
    return file === undefined ? undefined : { kind: 'knownHosts', file: sources.resolvePath(file) };
  }
  const fr = r.child('fingerprint');
  const list = typeof fr.value === 'string' ? [fr.value] : fr.stringList();
  if (list === undefined) return undefined;
  let ok = list.length > 0;
  if (!ok) fr.issue('must not be empty');
  list.forEach((f, i) => {
    if (!FINGERPRINT.test(f)) {
      (typeof fr.value === 'string' ? fr : fr.child(i)).issue(
        'must look like SHA256:<43 base64 characters>, as `ssh-keygen -lf` prints it',
      );
      ok = false;
    }
  });
  return ok ? { kind: 'fingerprint', fingerprints: list.map((f) => f.replace(/=$/, '')) } : undefined;
}
