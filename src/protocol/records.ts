/**
 * The representation of decoded tag and field maps.
 *
 * `Object.create(null)` records are dictionary-mode ("slow") objects in V8: every insert is a hash
 * table insert and every `for…in` rebuilds and sorts the key list (measured: 3 inserts + one
 * `for…in` 147 ns). An object whose prototype is an ordinary object gets a fast hidden class
 * instead, shared by every record with the same keys in the same order (47 ns for the same work).
 * {@link RECORD_ROOT} is that prototype: empty, frozen and with a null prototype itself, so a
 * record still inherits no key at all (`'toString' in record` is false) and `__proto__` is an
 * ordinary own key (there is no `Object.prototype.__proto__` accessor on the chain).
 */
const RECORD_ROOT: object = Object.freeze(Object.create(null) as object);

/**
 * A new, empty tag or field record in the decoder's representation: no inherited keys, a fast
 * V8 shape. Records made with `Object.create(null)` are accepted everywhere too; only
 * `Object.getPrototypeOf` (and so `assert.deepStrictEqual`) tells the two apart.
 */
export function emptyRecord<V>(): Record<string, V> {
  return Object.create(RECORD_ROOT) as Record<string, V>;
}
