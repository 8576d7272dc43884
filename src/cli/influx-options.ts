import type { Command } from 'commander';
import { formatDurationMs, formatSizeBytes } from '../config-grammar/index.js';
import { DEFAULT_TUNING } from '../ingest/writer/index.js';

const ms = (value: number): string => `(default: ${JSON.stringify(formatDurationMs(value))})`;
const bytes = (value: number): string => `(default: ${JSON.stringify(formatSizeBytes(value))})`;

/**
 * Adds the InfluxDB writer flags to a command, so that `kudf poll` and `kudf publish` share
 * them. Read the parsed options back with `command.opts()` and pass them to
 * `resolveInfluxSettings`, which parses and checks every value. No flag has a commander
 * default: an absent flag lets the config file and the environment decide, so the defaults
 * are in the help text.
 */
export function addInfluxOptions(command: Command): Command {
  return command
    .option(
      '--influx-api <api>',
      'v1 (/write), v2 (/api/v2/write) or stdout; inferred from bucket/database when absent',
    )
    .option('--influx-url <url>', 'server URL (env INFLUX_URL; v1 also INFLUXDB_HOST + INFLUXDB_PORT)')
    .option(
      '--influx-token <token>',
      'v2 token, user:password for InfluxDB 1.8 (env INFLUX_TOKEN[_FILE]; prefer the env)',
    )
    .option('--influx-org <org>', 'v2 organization (env INFLUX_ORG)')
    .option('--influx-bucket <bucket>', 'v2 bucket, db/rp for InfluxDB 1.8 (env INFLUX_BUCKET)')
    .option('--influx-db <name>', 'v1 database (env INFLUXDB_DATABASE)')
    .option('--influx-rp <name>', 'v1 retention policy')
    .option('--influx-user <name>', 'v1 user (env INFLUXDB_USERNAME[_FILE])')
    .option('--influx-password <password>', 'v1 password (env INFLUXDB_PASSWORD[_FILE]; prefer the env)')
    .option('--influx-create-db', 'v1: CREATE DATABASE on first connect')
    .option(
      '--influx-precision <p>',
      `timestamp precision on the wire: ns, us, ms, s (default: "${DEFAULT_TUNING.precision}")`,
    )
    .option('--influx-gzip', 'gzip request bodies (default)')
    .option('--no-influx-gzip', 'send request bodies uncompressed')
    .option('--influx-insecure-skip-verify', 'do NOT verify the server TLS certificate')
    .option('--influx-ca-file <path>', 'extra CA certificate (PEM) to trust')
    .option('--influx-batch-size <lines>', `lines per request (default: ${DEFAULT_TUNING.batchSize})`)
    .option(
      '--influx-flush-interval <duration>',
      `longest wait before a partial batch is sent (env KUDF_INFLUX_FLUSH_INTERVAL) ${ms(DEFAULT_TUNING.flushIntervalMs)}`,
    )
    .option('--influx-timeout <duration>', `request timeout (env KUDF_INFLUX_TIMEOUT) ${ms(DEFAULT_TUNING.timeoutMs)}`)
    .option('--queue-dir <dir>', 'durable queue directory (default $KUDF_QUEUE_DIR, else ~/.local/state/kudf/queue)')
    .option(
      '--queue-max-bytes <size>',
      `queue bound; the oldest lines are dropped beyond it (env KUDF_QUEUE_MAX_BYTES) ${bytes(DEFAULT_TUNING.queueMaxBytes)}`,
    )
    .option(
      '--dead-letter-max-bytes <size>',
      `dead-letter file size at which it is rotated; 3 rotated files are kept (env KUDF_DEAD_LETTER_MAX_BYTES) ${bytes(DEFAULT_TUNING.deadLetterMaxBytes)}`,
    )
    .option(
      '--retry-min-delay <duration>',
      `first retry delay (env KUDF_RETRY_MIN_DELAY) ${ms(DEFAULT_TUNING.retryMinDelayMs)}`,
    )
    .option(
      '--retry-max-delay <duration>',
      `longest retry delay (env KUDF_RETRY_MAX_DELAY) ${ms(DEFAULT_TUNING.retryMaxDelayMs)}`,
    )
    .option(
      '--retry-after-max <duration>',
      `cap on a server Retry-After (env KUDF_RETRY_AFTER_MAX) ${ms(DEFAULT_TUNING.retryAfterMaxMs)}`,
    )
    .option('--env-file <path>', 'read settings from this .env file (default ./.env when present)');
}
