import type { LineMetricKey } from './types.js';

/**
 * Numeric keys of `LineStatus` and whether the poller must write them as integers or floats.
 * The order is the canonical output order.
 */
export const LINE_METRIC_KEYS: Readonly<Record<LineMetricKey, 'int' | 'float'>> = Object.freeze({
  sync_rate_down_kbps: 'int',
  sync_rate_up_kbps: 'int',
  attainable_rate_down_kbps: 'int',
  attainable_rate_up_kbps: 'int',
  snr_margin_down_db: 'float',
  snr_margin_up_db: 'float',
  attenuation_down_db: 'float',
  attenuation_up_db: 'float',
  signal_attenuation_down_db: 'float',
  signal_attenuation_up_db: 'float',
  output_power_down_dbm: 'float',
  output_power_up_dbm: 'float',
  crc_errors_down: 'int',
  crc_errors_up: 'int',
  fec_errors_down: 'int',
  fec_errors_up: 'int',
  hec_errors_down: 'int',
  hec_errors_up: 'int',
  es_down_s: 'int',
  es_up_s: 'int',
  ses_down_s: 'int',
  ses_up_s: 'int',
  uas_down_s: 'int',
  uas_up_s: 'int',
  fecs_down_s: 'int',
  fecs_up_s: 'int',
  loss_down_s: 'int',
  loss_up_s: 'int',
  es_s: 'int',
  ses_s: 'int',
  uptime_s: 'int',
  retrain_count: 'int',
});

/** Non-numeric keys of `LineStatus`, in canonical output order. */
export const LINE_TEXT_KEYS = Object.freeze([
  'state',
  'state_detail',
  'state_class',
  'line_up',
  'mode',
  'profile',
  'counters_scope',
] as const);

/** Error counters: their presence is what gives `counters_scope` a meaning. */
export const COUNTER_KEYS: ReadonlySet<LineMetricKey> = new Set<LineMetricKey>([
  'crc_errors_down',
  'crc_errors_up',
  'fec_errors_down',
  'fec_errors_up',
  'hec_errors_down',
  'hec_errors_up',
  'es_down_s',
  'es_up_s',
  'ses_down_s',
  'ses_up_s',
  'uas_down_s',
  'uas_up_s',
  'fecs_down_s',
  'fecs_up_s',
  'loss_down_s',
  'loss_up_s',
  'es_s',
  'ses_s',
]);

export const METRIC_KEY_LIST = Object.keys(LINE_METRIC_KEYS) as LineMetricKey[];
