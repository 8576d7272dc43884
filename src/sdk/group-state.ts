/**
 * Per-group state of one function instance, keyed by Kapacitor's group string (`Point.group`).
 * A thin Map wrapper so every function keys and iterates state the same way.
 */
export class GroupState<S> {
  private readonly groups = new Map<string, S>();

  constructor(private readonly init: () => S) {}

  /** The group's state, created on first use. */
  get(group: string): S {
    let state = this.groups.get(group);
    if (state === undefined) {
      state = this.init();
      this.groups.set(group, state);
    }
    return state;
  }

  /** The group's state if it exists, without creating it. */
  peek(group: string): S | undefined {
    return this.groups.get(group);
  }

  set(group: string, state: S): void {
    this.groups.set(group, state);
  }

  delete(group: string): void {
    this.groups.delete(group);
  }

  clear(): void {
    this.groups.clear();
  }

  get size(): number {
    return this.groups.size;
  }

  entries(): IterableIterator<[string, S]> {
    return this.groups.entries();
  }
}
