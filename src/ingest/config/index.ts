export { loadPollConfig, type LoadConfigOptions } from './load.js';
export { validatePollConfig, DEFAULT_PAGER, DEFAULT_PROMPT, type ValidateOptions } from './validate.js';
export { ConfigError, type ConfigIssue } from './errors.js';
export type {
  HostKeyPolicy,
  HttpFormLogin,
  HttpLogin,
  HttpSettings,
  LegacyAlgorithms,
  PollConfig,
  RouterAuth,
  RouterConfig,
  ShellSettings,
} from './types.js';
export { INFLUX_KEYS } from './validate.js';
