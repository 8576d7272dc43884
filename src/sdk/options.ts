import type { InitOption, OptionValue, ValueType } from '../protocol/index.js';

/** Thrown while converting one option; the message names the option and what is wrong. */
export class OptionError extends Error {
  override readonly name = 'OptionError';
  readonly code = 'KUDF_UDF_BAD_OPTION';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`option '${option}': ${message}`);
  }
}

/** The JavaScript value one wire value of a type becomes. Durations are nanoseconds. */
export interface ValueOf {
  bool: boolean;
  int: number;
  double: number;
  string: string;
  duration: bigint;
}

/**
 * A value check. Declared through a method signature on purpose: method parameters are bivariant,
 * so a typed `Opt<string, string>` stays assignable to the erased `Opt<unknown, unknown>` that
 * `OptionSpecs` holds (a plain function type would make every declared option fail to type-check).
 */
export type OptionCheck<V> = { check(value: V): string | undefined }['check'];

type TupleOf<T extends readonly ValueType[]> = { -readonly [K in keyof T]: ValueOf[T[K]] };

/**
 * A declared option. `Out` is what the function receives: `V` for a single value with a
 * default or marked required, `V | undefined` when optional, `V[]` when repeatable.
 * Builders are immutable: every call returns a new declaration.
 */
export class Opt<Out, V> {
  /** @internal */
  constructor(
    readonly valueTypes: readonly ValueType[],
    /** @internal Converts the wire values of one occurrence (count and types already checked). */
    readonly convert: (values: readonly OptionValue[]) => V,
    readonly isRequired: boolean,
    readonly isRepeatable: boolean,
    readonly defaultValue: V | undefined,
    readonly description: string,
    /** @internal Returns a message when a converted value is not acceptable. */
    readonly checks: ReadonlyArray<OptionCheck<V>>,
  ) {}

  /** The value used when the TICKscript does not give the option. */
  default(value: V): Opt<V, V> {
    const problem = this.checks.map((c) => c(value)).find((m) => m !== undefined);
    if (problem !== undefined) throw new TypeError(`default ${String(value)} is invalid: ${problem}`);
    return new Opt<V, V>(this.valueTypes, this.convert, false, this.isRepeatable, value, this.description, this.checks);
  }

  /** Init fails when the option is missing. */
  required(): Opt<V, V> {
    return new Opt<V, V>(
      this.valueTypes,
      this.convert,
      true,
      this.isRepeatable,
      undefined,
      this.description,
      this.checks,
    );
  }

  /** The option may be given several times (`.field('a').field('b')`); the function gets every occurrence in order. */
  repeatable(): Opt<V[], V> {
    return new Opt<V[], V>(
      this.valueTypes,
      this.convert,
      this.isRequired,
      true,
      undefined,
      this.description,
      this.checks,
    );
  }

  /** One line shown by `kudf functions` and docs/functions.md. */
  describe(text: string): Opt<Out, V> {
    return new Opt<Out, V>(
      this.valueTypes,
      this.convert,
      this.isRequired,
      this.isRepeatable,
      this.defaultValue,
      text,
      this.checks,
    );
  }

  /** Adds a check; `check` returns a message when the value is out of range. */
  check(check: (value: V) => string | undefined): Opt<Out, V> {
    return new Opt<Out, V>(
      this.valueTypes,
      this.convert,
      this.isRequired,
      this.isRepeatable,
      this.defaultValue,
      this.description,
      [...this.checks, check],
    );
  }

  /** Numeric lower bound, inclusive. */
  min(this: Opt<Out, number> | Opt<Out, bigint>, bound: V & (number | bigint)): Opt<Out, V> {
    return (this as unknown as Opt<Out, V>).check((v) =>
      (v as number | bigint) < bound ? `must be at least ${String(bound)}, got ${String(v)}` : undefined,
    );
  }

  /** Numeric upper bound, inclusive. */
  max(this: Opt<Out, number> | Opt<Out, bigint>, bound: V & (number | bigint)): Opt<Out, V> {
    return (this as unknown as Opt<Out, V>).check((v) =>
      (v as number | bigint) > bound ? `must be at most ${String(bound)}, got ${String(v)}` : undefined,
    );
  }

  /** Restricts a value to a fixed set. */
  oneOf(allowed: readonly V[]): Opt<Out, V> {
    return this.check((v) =>
      allowed.includes(v) ? undefined : `must be one of ${allowed.map(String).join(', ')}, got ${String(v)}`,
    );
  }
}

// The option type system is deliberately total: any declared option is `Opt<unknown, unknown>`
// once erased, which is what the registry and validation work with.
export type AnyOpt = Opt<unknown, unknown>;
export type OptionSpecs = Record<string, AnyOpt>;
export type ParsedOptions<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends Opt<infer Out, unknown> ? Out : never;
};

function single<T extends ValueType>(type: T): Opt<ValueOf[T] | undefined, ValueOf[T]> {
  return new Opt<ValueOf[T] | undefined, ValueOf[T]>(
    [type],
    (values) => wireToJs(values[0] as OptionValue) as ValueOf[T],
    false,
    false,
    undefined,
    '',
    [],
  );
}

function wireToJs(value: OptionValue): ValueOf[ValueType] {
  if (value.type === 'int') {
    const n = value.value as bigint;
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
      throw new RangeError(`${n} is beyond ±2^53`);
    return Number(n);
  }
  return value.value;
}

/** Option builders. Each gives an optional, single-valued option; chain `.default()`, `.required()`, `.repeatable()`. */
export const opt = {
  bool: () => single('bool'),
  /** An INT option, delivered as a safe-integer number. */
  int: () => single('int'),
  double: () => single('double'),
  string: () => single('string'),
  /** A DURATION option (TICKscript `10s`), delivered as bigint nanoseconds. */
  duration: () => single('duration'),
  /** An option taking several values at once, e.g. `.transition('SHOWTIME', 'TRAINING')`. */
  tuple<const T extends readonly ValueType[]>(...types: T): Opt<TupleOf<T> | undefined, TupleOf<T>> {
    return new Opt<TupleOf<T> | undefined, TupleOf<T>>(
      types,
      (values) => values.map((v) => wireToJs(v)) as unknown as TupleOf<T>,
      false,
      false,
      undefined,
      '',
      [],
    );
  },
};

/**
 * Validates Init options against the declaration and converts them.
 * Throws {@link OptionError} naming the first offending option: unknown name, wrong count or
 * type of values, a repeated non-repeatable option, a missing required one, or a failed check.
 */
export function parseOptions<O extends OptionSpecs>(specs: O, given: readonly InitOption[]): ParsedOptions<O> {
  const seen = new Map<string, unknown[]>();
  for (const option of given) {
    if (!Object.hasOwn(specs, option.name)) {
      const known = Object.keys(specs).join(', ') || 'none';
      throw new OptionError(option.name, `unknown option (this function takes: ${known})`);
    }
    const spec = specs[option.name] as AnyOpt;
    const want = spec.valueTypes;
    if (option.values.length !== want.length) {
      throw new OptionError(
        option.name,
        `takes ${want.length} value(s) (${want.join(', ')}), got ${option.values.length}`,
      );
    }
    option.values.forEach((v, i) => {
      if (v.type !== want[i]) throw new OptionError(option.name, `value ${i + 1} must be ${want[i]}, got ${v.type}`);
    });
    let value: unknown;
    try {
      value = spec.convert(option.values);
    } catch (err) {
      throw new OptionError(option.name, err instanceof Error ? err.message : String(err));
    }
    for (const check of spec.checks) {
      const problem = check(value);
      if (problem !== undefined) throw new OptionError(option.name, problem);
    }
    const list = seen.get(option.name) ?? [];
    if (list.length > 0 && !spec.isRepeatable)
      throw new OptionError(option.name, 'given more than once but is not repeatable');
    list.push(value);
    seen.set(option.name, list);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const list = seen.get(name);
    if (list === undefined && spec.isRequired) throw new OptionError(name, 'is required');
    if (spec.isRepeatable) out[name] = list ?? [];
    else out[name] = list !== undefined ? list[0] : spec.defaultValue;
  }
  return out as ParsedOptions<O>;
}
