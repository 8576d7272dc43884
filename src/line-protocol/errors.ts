/** Stable codes of {@link LineProtocolError}. */
export type LineProtocolErrorCode =
  /** The text is not valid line protocol. */
  | 'KUDF_LP_INVALID'
  /** A point cannot be written as line protocol (no fields, a newline in a key, a NaN, ...). */
  | 'KUDF_LP_UNFORMATTABLE';

export class LineProtocolError extends Error {
  override readonly name = 'LineProtocolError';
  readonly code: LineProtocolErrorCode;
  /** 1-based line of the input where the problem is (parse errors only). */
  readonly line: number | undefined;

  constructor(code: LineProtocolErrorCode, message: string, line?: number, options?: { cause?: unknown }) {
    super(line === undefined ? message : `line ${line}: ${message}`, options);
    this.code = code;
    this.line = line;
  }
}
