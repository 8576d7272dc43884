/**
 * The input of one connection since its last checkpoint, for a session that has to move to
 * another worker (see Connection.suspend): the last `capacity` bytes read, by their position in
 * the connection's input. It grows by doubling up to its capacity, so a connection that sends
 * little holds little; past it the oldest bytes go and the ring can no longer replay from before
 * {@link start}.
 */
export class ReplayRing {
  private buf: Uint8Array = new Uint8Array(0);
  /** Position of the first byte still held. */
  start = 0;
  /** Position after the last byte written: every byte of input so far. */
  end = 0;

  constructor(readonly capacity: number) {}

  /** Bytes held now. */
  get length(): number {
    return this.end - this.start;
  }

  push(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    if (n === 0) return;
    if (n >= this.capacity) {
      if (this.buf.byteLength !== this.capacity) this.buf = new Uint8Array(this.capacity);
      this.start = this.end = this.end + n - this.capacity;
      this.pushLinear(bytes.subarray(n - this.capacity));
      return;
    }
    const needed = this.length + n;
    if (needed > this.buf.byteLength && this.buf.byteLength < this.capacity) this.grow(needed);
    const size = this.buf.byteLength;
    const at = this.end % size;
    const first = Math.min(n, size - at);
    this.buf.set(bytes.subarray(0, first), at);
    if (first < n) this.buf.set(bytes.subarray(first), 0);
    this.end += n;
    if (this.end - this.start > size) this.start = this.end - size;
  }

  /** Forgets the bytes before `position` (a checkpoint covers them). */
  dropBefore(position: number): void {
    if (position > this.start) this.start = Math.min(position, this.end);
  }

  /** A copy of the bytes from `position` to the end, or undefined when some of them are gone. */
  from(position: number): Uint8Array | undefined {
    if (position < this.start || position > this.end) return undefined;
    const out = new Uint8Array(this.end - position);
    const size = this.buf.byteLength;
    if (out.byteLength === 0) return out;
    const at = position % size;
    const first = Math.min(out.byteLength, size - at);
    out.set(this.buf.subarray(at, at + first));
    if (first < out.byteLength) out.set(this.buf.subarray(0, out.byteLength - first), first);
    return out;
  }

  private grow(needed: number): void {
    let size = Math.max(4096, this.buf.byteLength);
    while (size < needed) size *= 2;
    size = Math.min(size, this.capacity);
    const held = this.from(this.start) ?? new Uint8Array(0);
    this.buf = new Uint8Array(size);
    // Laid out again so that position p is at p % size.
    const next = this.start;
    this.start = this.end = next;
    this.pushLinear(held);
  }

  private pushLinear(bytes: Uint8Array): void {
    const size = this.buf.byteLength;
    const at = this.end % size;
    const first = Math.min(bytes.byteLength, size - at);
    this.buf.set(bytes.subarray(0, first), at);
    if (first < bytes.byteLength) this.buf.set(bytes.subarray(first), 0);
    this.end += bytes.byteLength;
  }
}
