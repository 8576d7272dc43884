/** Why the Kapacitor API could not be used for task recovery. */
export type RecoveryErrorCode =
  /** `--kapacitor-url` is not an http(s) URL, or carries credentials. */
  | 'KUDF_RECOVERY_BAD_URL'
  /** A credential variable or its `*_FILE` could not be read. */
  | 'KUDF_RECOVERY_CREDENTIALS'
  /** The state directory or its file cannot be read or written. */
  | 'KUDF_RECOVERY_STATE'
  /** Kapacitor answered an API call with an error status, or could not be reached. */
  | 'KUDF_RECOVERY_API';

export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';

  constructor(
    readonly code: RecoveryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
