import type { ValueType } from '../protocol/index.js';
import { parseDuration } from '../tickscript/index.js';

/**
 * The type of one value in a TICKscript call: a literal type Kapacitor can send to a UDF, or
 * something that is not a literal (never acceptable as a UDF option value), or `unknown` for a
 * variable whose type the checker cannot tell.
 */
export type ArgType = ValueType | 'lambda' | 'reference' | 'regex' | 'list' | 'star' | 'expression' | 'unknown';

export interface Arg {
  type: ArgType;
  /** The value as written, for messages. */
  text: string;
  /** The literal's value for a ValueType argument (duration in ns); absent otherwise. */
  value?: boolean | bigint | number | string;
  line: number;
}

export interface OptionCall {
  name: string;
  args: Arg[];
  line: number;
}

export interface UdfCall {
  name: string;
  args: Arg[];
  options: OptionCall[];
  line: number;
}

/** Nanoseconds of a duration literal such as `10s` or `500ms`. */
export const durationNs = parseDuration;
