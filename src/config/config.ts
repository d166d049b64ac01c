/**
 * Dialtone's configuration (INTERFACE.md "Configuration"): YAML file, then DIALTONE_<SECTION>_<KEY>
 * environment variables, then command-line flags, each overriding the one before. Every value is
 * checked here, once; a bad one stops start-up with a message naming the key and what was expected.
 */
import { DialtoneError, ErrorCodes } from '../kernel/index.js';

export type ListenProtocol = 'udp' | 'tcp' | 'tls';
export type Dialect = 'twiml' | 'cxml' | 'rcml' | 'didml';
export type HttpMethod = 'GET' | 'POST';

export interface ListenSpec {
  protocol: ListenProtocol;
  address: string;
  port: number;
}

export interface AccountConfig {
  sid: string;
  authToken: string;
  enhancedSip: boolean;
}

export type RouteMatch =
  | { kind: 'any' }
  | { kind: 'to'; value: string }
  | { kind: 'user'; value: string }
  | { kind: 'domain'; value: string };

export interface RouteConfig {
  match: RouteMatch;
  account?: string;
  voiceUrl: string;
  voiceMethod: HttpMethod;
  voiceFallbackUrl?: string;
  voiceFallbackMethod: HttpMethod;
  statusCallback?: string;
  statusCallbackMethod: HttpMethod;
  dialect: Dialect;
}

export interface TrunkConfig {
  name: string;
  uri: string;
  username?: string;
  password?: string;
}

export interface RegionConfig {
  name: string;
  default: boolean;
  outboundProxy?: string;
}

export interface DialtoneConfig {
  sip: {
    listen: ListenSpec[];
    /**
     * The TLS listener's certificate. `verifyPeer`: ask callers for a client certificate and verify it
     * against `ca` (mutual TLS). Default false.
     */
    tls?: { cert: string; key: string; ca?: string; verifyPeer: boolean };
    /**
     * Outgoing TLS (`<Sip>` with transport=tls, cXML's default), available with or without `tls`:
     * `verifyPeer` checks the server's certificate against Node's bundled CAs plus `ca` (a file, for a
     * private PBX's CA). Default true.
     */
    tlsClient: { verifyPeer: boolean; ca?: string };
    publicAddress?: string;
  };
  media: { portRange: [number, number]; rtpTimeoutSeconds: number };
  http: { listen: { address: string; port: number }; publicUrl?: string };
  database: string;
  dataDir: string;
  /** `--voice-url`: every inbound call runs this markup under the default account. */
  voiceUrl?: string;
  accounts: AccountConfig[];
  routes: RouteConfig[];
  trunks: TrunkConfig[];
  regions: RegionConfig[];
  /** Seconds live calls may go on after Ctrl-C before they are hung up. */
  drainSeconds: number;
  /** Capacity: past any of these, new INVITEs get 503 with Retry-After (0 turns a limit off). */
  limits: { maxCalls: number; callsPerSecond: number; maxEventLoopLagMs: number; retryAfterSeconds: number };
  /**
   * Whether V8 marks the old generation on helper threads while the engine runs (V8's default, kept).
   * Off, the engine's thread marks in small steps itself: on a small machine the helpers no longer take
   * the cores it needs, and the post-dial delay's p99 halves, for a lower ceiling of calls per second
   * (docs/performance.md, stop 19). `dialtone start` applies it.
   */
  concurrentMarking: boolean;
}

export interface ConfigFlags {
  voiceUrl?: string;
  sipPort?: number;
  httpPort?: number;
  dataDir?: string;
}

export function configError(key: string, expected: string, got: unknown): DialtoneError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(JSON.stringify(got) ?? got);
  return new DialtoneError(ErrorCodes.configInvalid, `configuration ${key}: expected ${expected}, got ${shown}`, {
    key,
  });
}

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readString(raw: Raw, key: string, path: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value.length === 0) throw configError(`${path}${key}`, 'a non-empty string', value);
  return value;
}

function readBoolean(raw: Raw, key: string, path: string, fallback: boolean): boolean {
  const value = raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw configError(`${path}${key}`, 'true or false', value);
}

function readPort(value: unknown, key: string, allowZero = true): number {
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw configError(key, `a port number (${allowZero ? 0 : 1}-65535)`, value);
  }
  return port;
}

function readMethod(raw: Raw, key: string, path: string): HttpMethod {
  const value = readString(raw, key, path);
  if (value === undefined) return 'POST';
  const upper = value.toUpperCase();
  if (upper !== 'GET' && upper !== 'POST') throw configError(`${path}${key}`, 'GET or POST', value);
  return upper;
}

function readUrl(raw: Raw, key: string, path: string): string | undefined {
  const value = readString(raw, key, path);
  if (value === undefined) return undefined;
  return checkHttpUrl(value, `${path}${key}`);
}

export function checkHttpUrl(value: string, key: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw configError(key, 'an absolute http(s) URL', value);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw configError(key, 'an absolute http(s) URL', value);
  }
  return value;
}

/** "udp:0.0.0.0:5060", "tcp:[::1]:5060" */
export function parseListen(text: string, key: string): ListenSpec {
  const match = /^(udp|tcp|tls):(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d+)$/.exec(text.trim());
  if (match === null) throw configError(key, '"udp|tcp|tls:ADDRESS:PORT"', text);
  const address = match[2]!.startsWith('[') ? match[2]!.slice(1, -1) : match[2]!;
  return { protocol: match[1] as ListenProtocol, address, port: readPort(match[3], key) };
}

function parseHostPort(text: string, key: string): { address: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d+)$/.exec(text.trim());
  if (match === null) throw configError(key, '"ADDRESS:PORT"', text);
  const address = match[1]!.startsWith('[') ? match[1]!.slice(1, -1) : match[1]!;
  return { address, port: readPort(match[2], key) };
}

const dialects: readonly Dialect[] = ['twiml', 'cxml', 'rcml', 'didml'];

function parseRouteMatch(value: unknown, key: string): RouteMatch {
  if (value === '*' || value === undefined) return { kind: 'any' };
  if (isRecord(value)) {
    const entries = Object.entries(value);
    const [first] = entries;
    if (entries.length === 1 && first !== undefined && typeof first[1] === 'string') {
      const [kind, matchValue] = first;
      if (kind === 'to' || kind === 'user' || kind === 'domain') return { kind, value: matchValue as string };
    }
  }
  throw configError(key, '"*" or one of { to: … }, { user: … }, { domain: … }', value);
}

const accountSidPattern = /^AC[0-9a-f]{32}$/;

function parseAccounts(value: unknown): AccountConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw configError('accounts', 'a list', value);
  return value.map((entry, index) => {
    const path = `accounts[${index}].`;
    if (!isRecord(entry)) throw configError(`accounts[${index}]`, 'a mapping', entry);
    const sid = readString(entry, 'sid', path);
    if (sid === undefined || !accountSidPattern.test(sid)) {
      throw configError(`${path}sid`, '"AC" followed by 32 lowercase hex digits', entry['sid']);
    }
    const authToken = readString(entry, 'authToken', path);
    if (authToken === undefined) throw configError(`${path}authToken`, 'a non-empty string', entry['authToken']);
    return { sid, authToken, enhancedSip: readBoolean(entry, 'enhancedSip', path, true) };
  });
}

function parseRoutes(value: unknown, accounts: AccountConfig[]): RouteConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw configError('routes', 'a list', value);
  return value.map((entry, index) => {
    const path = `routes[${index}].`;
    if (!isRecord(entry)) throw configError(`routes[${index}]`, 'a mapping', entry);
    const voiceUrl = readUrl(entry, 'voiceUrl', path);
    if (voiceUrl === undefined) throw configError(`${path}voiceUrl`, 'an absolute http(s) URL', entry['voiceUrl']);
    const account = readString(entry, 'account', path);
    if (account !== undefined && !accounts.some((known) => known.sid === account)) {
      throw configError(`${path}account`, 'the sid of an account listed under accounts', account);
    }
    const dialect = (readString(entry, 'dialect', path) ?? 'twiml').toLowerCase();
    if (!dialects.includes(dialect as Dialect)) throw configError(`${path}dialect`, dialects.join(' | '), dialect);
    const route: RouteConfig = {
      match: parseRouteMatch(entry['match'], `${path}match`),
      voiceUrl,
      voiceMethod: readMethod(entry, 'voiceMethod', path),
      voiceFallbackMethod: readMethod(entry, 'voiceFallbackMethod', path),
      statusCallbackMethod: readMethod(entry, 'statusCallbackMethod', path),
      dialect: dialect as Dialect,
    };
    if (account !== undefined) route.account = account;
    const fallback = readUrl(entry, 'voiceFallbackUrl', path);
    if (fallback !== undefined) route.voiceFallbackUrl = fallback;
    const statusCallback = readUrl(entry, 'statusCallback', path);
    if (statusCallback !== undefined) route.statusCallback = statusCallback;
    return route;
  });
}

function parseTrunks(value: unknown): TrunkConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw configError('trunks', 'a list', value);
  return value.map((entry, index) => {
    const path = `trunks[${index}].`;
    if (!isRecord(entry)) throw configError(`trunks[${index}]`, 'a mapping', entry);
    const uri = readString(entry, 'uri', path);
    if (uri === undefined || !/^sips?:/i.test(uri)) throw configError(`${path}uri`, 'a sip: or sips: URI', entry['uri']);
    const trunk: TrunkConfig = { name: readString(entry, 'name', path) ?? `trunk${index}`, uri };
    const username = readString(entry, 'username', path);
    const password = readString(entry, 'password', path);
    if (username !== undefined) trunk.username = username;
    if (password !== undefined) trunk.password = password;
    return trunk;
  });
}

function parseRegions(value: unknown): RegionConfig[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw configError('regions', 'a mapping of region name to settings', value);
  const regions = Object.entries(value).map(([name, entry]) => {
    const path = `regions.${name}.`;
    const settings = entry === null ? {} : entry;
    if (!isRecord(settings)) throw configError(`regions.${name}`, 'a mapping', entry);
    const region: RegionConfig = { name, default: readBoolean(settings, 'default', path, false) };
    const proxy = readString(settings, 'outboundProxy', path);
    if (proxy !== undefined) {
      if (!/^sips?:/i.test(proxy)) throw configError(`${path}outboundProxy`, 'a sip: or sips: URI', proxy);
      region.outboundProxy = proxy;
    }
    return region;
  });
  if (regions.filter((region) => region.default).length > 1) {
    throw configError('regions', 'at most one region marked default: true', regions.map((r) => r.name));
  }
  return regions;
}

/**
 * sip.tlsClient. Configurations written before it existed keep their meaning: an explicit
 * sip.tls.verifyPeer and sip.tls.ca, which then set both sides, still set the client's when
 * sip.tlsClient does not say otherwise.
 */
function parseTlsClient(sip: Raw): DialtoneConfig['sip']['tlsClient'] {
  const raw = sip['tlsClient'] ?? {};
  if (!isRecord(raw)) throw configError('sip.tlsClient', 'a mapping with verifyPeer and/or ca', raw);
  const legacy = isRecord(sip['tls']) ? sip['tls'] : {};
  const legacyVerify = readBoolean(legacy, 'verifyPeer', 'sip.tls.', true);
  const tlsClient: DialtoneConfig['sip']['tlsClient'] = { verifyPeer: readBoolean(raw, 'verifyPeer', 'sip.tlsClient.', legacyVerify) };
  const ca = readString(raw, 'ca', 'sip.tlsClient.') ?? readString(legacy, 'ca', 'sip.tls.');
  if (ca !== undefined) tlsClient.ca = ca;
  return tlsClient;
}

/** Builds and checks the configuration from a parsed YAML document, the environment and flags. */
export function resolveConfig(file: unknown, env: NodeJS.ProcessEnv, flags: ConfigFlags): DialtoneConfig {
  const raw = file === undefined || file === null ? {} : file;
  if (!isRecord(raw)) throw configError('(top level)', 'a YAML mapping', raw);
  const merged = applyEnvironment(raw, env);

  const sip = isRecord(merged['sip']) ? merged['sip'] : {};
  const listenRaw = sip['listen'] ?? ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060', 'tls:0.0.0.0:5061'];
  const listenList = typeof listenRaw === 'string' ? listenRaw.split(',') : listenRaw;
  if (!Array.isArray(listenList)) throw configError('sip.listen', 'a list of "udp|tcp|tls:ADDRESS:PORT"', listenRaw);
  let listen = listenList.map((entry, index) => {
    if (typeof entry !== 'string') throw configError(`sip.listen[${index}]`, '"udp|tcp|tls:ADDRESS:PORT"', entry);
    return parseListen(entry, `sip.listen[${index}]`);
  });

  let tls: DialtoneConfig['sip']['tls'];
  if (sip['tls'] !== undefined && sip['tls'] !== null) {
    if (!isRecord(sip['tls'])) throw configError('sip.tls', 'a mapping with cert and key', sip['tls']);
    const cert = readString(sip['tls'], 'cert', 'sip.tls.');
    const key = readString(sip['tls'], 'key', 'sip.tls.');
    if (cert === undefined) throw configError('sip.tls.cert', 'a certificate file path', sip['tls']['cert']);
    if (key === undefined) throw configError('sip.tls.key', 'a private key file path', sip['tls']['key']);
    tls = { cert, key, verifyPeer: readBoolean(sip['tls'], 'verifyPeer', 'sip.tls.', false) };
    const ca = readString(sip['tls'], 'ca', 'sip.tls.');
    if (ca !== undefined) tls.ca = ca;
  }
  const tlsClient = parseTlsClient(sip);
  // INTERFACE.md: the TLS listener exists only when a certificate is configured.
  if (tls === undefined) listen = listen.filter((spec) => spec.protocol !== 'tls');
  if (flags.sipPort !== undefined) {
    const sipPort = readPort(flags.sipPort, '--sip-port');
    listen = listen.map((spec) => (spec.protocol === 'tls' ? spec : { ...spec, port: sipPort }));
  }
  if (listen.length === 0) throw configError('sip.listen', 'at least one listener', listenRaw);

  const media = isRecord(merged['media']) ? merged['media'] : {};
  const rangeRaw = media['portRange'] ?? [20000, 29999];
  const rangeList = typeof rangeRaw === 'string' ? rangeRaw.split(/[-,]/) : rangeRaw;
  if (!Array.isArray(rangeList) || rangeList.length !== 2) {
    throw configError('media.portRange', '[FIRST, LAST] port numbers', rangeRaw);
  }
  const portRange: [number, number] = [
    readPort(rangeList[0], 'media.portRange[0]', false),
    readPort(rangeList[1], 'media.portRange[1]', false),
  ];
  if (portRange[1] - portRange[0] < 3) {
    throw configError('media.portRange', 'a range of at least 4 ports, FIRST < LAST', rangeRaw);
  }
  const timeoutRaw = media['rtpTimeoutSeconds'] ?? 30;
  const rtpTimeoutSeconds = Number(timeoutRaw);
  if (!Number.isFinite(rtpTimeoutSeconds) || rtpTimeoutSeconds < 0) {
    throw configError('media.rtpTimeoutSeconds', 'a number of seconds ≥ 0 (0 disables)', timeoutRaw);
  }

  const http = isRecord(merged['http']) ? merged['http'] : {};
  const httpListen = parseHostPort(readString(http, 'listen', 'http.') ?? '0.0.0.0:8080', 'http.listen');
  if (flags.httpPort !== undefined) httpListen.port = readPort(flags.httpPort, '--http-port');
  const publicUrl = readUrl(http, 'publicUrl', 'http.');

  const dataDir = flags.dataDir ?? readString(merged, 'dataDir', '') ?? './data';
  const database = readString(merged, 'database', '') ?? `sqlite:${dataDir}/dialtone.db`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(database)) {
    throw configError('database', '"sqlite:PATH" or "postgres://…"', database);
  }

  const accounts = parseAccounts(merged['accounts']);
  const drainRaw = merged['drainSeconds'] ?? 30;
  const drainSeconds = Number(drainRaw);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
    throw configError('drainSeconds', 'a number of seconds ≥ 0', drainRaw);
  }

  const limits = parseLimits(merged['limits']);
  const concurrentMarking = readBoolean(merged, 'concurrentMarking', '', true);

  const config: DialtoneConfig = {
    sip: { listen, tlsClient },
    media: { portRange, rtpTimeoutSeconds },
    http: { listen: httpListen },
    database,
    dataDir,
    accounts,
    routes: parseRoutes(merged['routes'], accounts),
    trunks: parseTrunks(merged['trunks']),
    regions: parseRegions(merged['regions']),
    drainSeconds,
    limits,
    concurrentMarking,
  };
  if (tls !== undefined) config.sip.tls = tls;
  const publicAddress = readString(sip, 'publicAddress', 'sip.');
  if (publicAddress !== undefined) config.sip.publicAddress = publicAddress;
  if (publicUrl !== undefined) config.http.publicUrl = publicUrl;
  if (flags.voiceUrl !== undefined) config.voiceUrl = checkHttpUrl(flags.voiceUrl, '--voice-url');
  return config;
}

/** The V8 flags the configuration asks of the process that runs the engine (`dialtone start` sets them). */
export function v8FlagsFor(config: Pick<DialtoneConfig, 'concurrentMarking'>): string[] {
  return config.concurrentMarking ? [] : ['--no-concurrent-marking'];
}

/**
 * `limits`. Defaults: no call-count or rate cap (the RTP port range is the natural one), refusal
 * once the event loop runs 250 ms late (past that, SIP retransmissions at T1 = 500 ms start to
 * pile onto the load), and callers asked to retry after 5 s.
 */
function parseLimits(raw: unknown): DialtoneConfig['limits'] {
  if (raw !== undefined && raw !== null && !isRecord(raw)) throw configError('limits', 'a mapping', raw);
  const section: Raw = isRecord(raw) ? raw : {};
  const count = (key: string, fallback: number): number => {
    const value = section[key] ?? fallback;
    const number = Number(value);
    if (!Number.isFinite(number) || number < 0) throw configError(`limits.${key}`, 'a number ≥ 0 (0 turns the limit off)', value);
    return number;
  };
  const retryAfterSeconds = count('retryAfterSeconds', 5);
  if (!Number.isInteger(retryAfterSeconds)) throw configError('limits.retryAfterSeconds', 'whole seconds', retryAfterSeconds);
  return {
    maxCalls: count('maxCalls', 0),
    callsPerSecond: count('callsPerSecond', 0),
    maxEventLoopLagMs: count('maxEventLoopLagMs', 250),
    retryAfterSeconds,
  };
}

/**
 * DIALTONE_<SECTION>_<KEY> overrides `section.key`; DIALTONE_<KEY> a top-level key. Underscores inside
 * the key and its case are ignored, so DIALTONE_SIP_PUBLIC_ADDRESS and DIALTONE_SIP_PUBLICADDRESS both
 * set sip.publicAddress.
 */
function applyEnvironment(raw: Raw, env: NodeJS.ProcessEnv): Raw {
  const merged: Raw = { ...raw };
  const sections: Record<string, string[]> = {
    sip: ['listen', 'publicAddress'],
    media: ['portRange', 'rtpTimeoutSeconds'],
    http: ['listen', 'publicUrl'],
    limits: ['maxCalls', 'callsPerSecond', 'maxEventLoopLagMs', 'retryAfterSeconds'],
  };
  const topLevel = ['database', 'dataDir', 'drainSeconds', 'concurrentMarking'];
  const squash = (text: string): string => text.replace(/_/g, '').toLowerCase();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('DIALTONE_') || value === undefined) continue;
    const rest = name.slice('DIALTONE_'.length);
    const top = topLevel.find((key) => squash(key) === squash(rest));
    if (top !== undefined) {
      merged[top] = value;
      continue;
    }
    const separator = rest.indexOf('_');
    if (separator < 0) continue;
    const section = rest.slice(0, separator).toLowerCase();
    const key = sections[section]?.find((candidate) => squash(candidate) === squash(rest.slice(separator + 1)));
    if (key === undefined) continue;
    const current = merged[section];
    merged[section] = { ...(isRecord(current) ? current : {}), [key]: value };
  }
  return merged;
}
