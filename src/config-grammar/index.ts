/**
 * The one grammar for durations, sizes and file modes, shared by every flag, environment
 * variable and config key that takes one. Pure: callers know where a value came from and put
 * that place in front of the {@link GrammarError}'s message.
 */
export { GrammarError } from './errors.js';
export { durationHint, formatDurationMs, parseDurationMs, type DurationRule } from './duration.js';
export { formatSizeBytes, parseSizeBytes, SIZE_HINT, type SizeRule } from './size.js';
export { FILE_MODE_HINT, formatFileMode, parseFileMode } from './file-mode.js';
