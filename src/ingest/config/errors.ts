/** One problem found in a poll config, named by the key that holds it (`routers[2].auth.password`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * A poll config that cannot be used. All issues found in one pass are listed, so a user fixes
 * the file once instead of once per key.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'KUDF_POLL_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown; file?: string }) {
    const where = options?.file !== undefined ? `${options.file}: ` : '';
    const lines = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
    super(
      `${where}invalid poll config:\n  ${lines.join('\n  ')}`,
      options?.cause !== undefined ? { cause: options.cause } : undefined,
    );
    this.issues = issues;
  }
}
