/** The one logger setup (pino) every command and the host share: levels, formats, redaction. */
export {
  createLogger,
  defaultLogFormat,
  LOG_LEVELS,
  LOG_FORMATS,
  REDACT_PATHS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogFormat,
} from './logger.js';
