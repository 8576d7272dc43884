/** TICKscript literals as Kapacitor reads and writes them: durations and option arguments. */
export { parseDuration, formatDuration, isDurationUnit, DurationError } from './duration.js';
export { formatLiteral, formatArguments } from './literal.js';
