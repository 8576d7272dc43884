/** Router families the parsers understand. */
export type ParserFamily =
  | 'broadcom'
  | 'realtek'
  | 'draytek'
  | 'lantiq'
  | 'mediatek'
  | 'cisco'
  | 'tr064'
  | 'ubus'
  | 'zyxel'
  | 'bthub'
  | 'speedport'
  | 'technicolor';

/** Every family, in the order `detectFamily` breaks ties. */
export const PARSER_FAMILIES: readonly ParserFamily[] = Object.freeze([
  'broadcom',
  'lantiq',
  'draytek',
  'cisco',
  'mediatek',
  'realtek',
  'tr064',
  'ubus',
  'zyxel',
  'bthub',
  'speedport',
  'technicolor',
] as const);

/** Families read from a router's web page (the `http` transport) rather than a command's output. */
export const WEB_PAGE_FAMILIES: readonly ParserFamily[] = Object.freeze(['zyxel', 'bthub', 'speedport'] as const);

/** Normalised connection state, comparable across families. */
export type StateClass = 'showtime' | 'training' | 'idle' | 'down' | 'error' | 'unknown';

/** Whether error counters reset at each resync, since boot, or the device does not say. */
export type CountersScope = 'since_sync' | 'total' | 'unknown';

/** Integer-valued metrics (rates in kbps, counters, seconds). */
export type IntMetricKey =
  | 'sync_rate_down_kbps'
  | 'sync_rate_up_kbps'
  | 'attainable_rate_down_kbps'
  | 'attainable_rate_up_kbps'
  | 'crc_errors_down'
  | 'crc_errors_up'
  | 'fec_errors_down'
  | 'fec_errors_up'
  | 'hec_errors_down'
  | 'hec_errors_up'
  | 'es_down_s'
  | 'es_up_s'
  | 'ses_down_s'
  | 'ses_up_s'
  | 'uas_down_s'
  | 'uas_up_s'
  | 'fecs_down_s'
  | 'fecs_up_s'
  | 'loss_down_s'
  | 'loss_up_s'
  | 'es_s'
  | 'ses_s'
  | 'uptime_s'
  | 'retrain_count';

/** Float-valued metrics (dB, dBm). */
export type FloatMetricKey =
  | 'snr_margin_down_db'
  | 'snr_margin_up_db'
  | 'attenuation_down_db'
  | 'attenuation_up_db'
  | 'signal_attenuation_down_db'
  | 'signal_attenuation_up_db'
  | 'output_power_down_dbm'
  | 'output_power_up_dbm';

export type LineMetricKey = IntMetricKey | FloatMetricKey;

/**
 * What one status output says about a DSL line. A key is absent when the device did not
 * report it; `_down` is CO->CPE, `_up` is CPE->CO. See test/fixtures/adsl/README.md.
 */
export type LineStatus = {
  /** Raw state token as printed, trimmed, trailing `.` removed. */
  state?: string;
  /** Secondary state text (Lantiq `showtime_tc_sync`). */
  state_detail?: string;
  state_class?: StateClass;
  /** `state_class === 'showtime'` whenever a state is known. */
  line_up?: boolean;
  /** Modulation / standard as printed. */
  mode?: string;
  /** VDSL2 profile without the word "Profile". */
  profile?: string;
  counters_scope?: CountersScope;
} & { [K in LineMetricKey]?: number };

/** Result of `parseStatus`: a status, or a reason why nothing could be extracted. */
export type ParseOutcome =
  { ok: true; family: ParserFamily; status: LineStatus } | { ok: false; family: ParserFamily | 'auto'; reason: string };
