/**
 * Expiry times of the fields of one hash (HEXPIRE and its family), in Unix
 * milliseconds. A min-heap orders them so that the expired fields are found
 * without visiting the others. Changing or removing a time leaves its heap
 * entry behind. Such a stale entry is skipped when it reaches the top, and
 * the heap is rebuilt once stale entries outnumber the live ones.
 */
export class FieldTtl {
  #times = new Map<string, number>();
  #heapTimes: number[] = [];
  #heapFields: string[] = [];

  /** Number of fields that have an expiry time. */
  get size(): number {
    return this.#times.size;
  }

  get(field: string): number | undefined {
    return this.#times.get(field);
  }

  /** Returns whether the field has an expiry time at or before `now`. */
  isExpired(field: string, now: number): boolean {
    const when = this.#times.get(field);
    return when !== undefined && when <= now;
  }

  set(field: string, when: number): void {
    this.#times.set(field, when);
    this.#push(when, field);
    if (this.#heapTimes.length > 2 * this.#times.size + 32) this.#rebuild();
  }

  delete(field: string): boolean {
    return this.#times.delete(field);
  }

  /** Returns the earliest expiry time, or Infinity when no field has one. */
  earliest(): number {
    this.#dropStale();
    return this.#heapTimes.length === 0 ? Infinity : this.#heapTimes[0];
  }

  /** Removes and returns a field whose time is at or before `now`, or undefined. */
  takeExpired(now: number): string | undefined {
    if (this.earliest() > now) return undefined;
    const field = this.#heapFields[0];
    this.#pop();
    this.#times.delete(field);
    return field;
  }

  clone(): FieldTtl {
    const copy = new FieldTtl();
    for (const [field, when] of this.#times) copy.set(field, when);
    return copy;
  }

  #dropStale(): void {
    while (this.#heapTimes.length > 0) {
      const when = this.#times.get(this.#heapFields[0]);
      if (when === this.#heapTimes[0]) return;
      this.#pop();
    }
  }

  #rebuild(): void {
    this.#heapTimes = [];
    this.#heapFields = [];
    for (const [field, when] of this.#times) this.#push(when, field);
  }

  #push(when: number, field: string): void {
    const times = this.#heapTimes;
    const fields = this.#heapFields;
    let index = times.length;
    times.push(when);
    fields.push(field);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent] <= when) break;
      times[index] = times[parent];
      fields[index] = fields[parent];
      index = parent;
    }
    times[index] = when;
    fields[index] = field;
  }

  #pop(): void {
    const times = this.#heapTimes;
    const fields = this.#heapFields;
    const lastTime = times.pop() as number;
    const lastField = fields.pop() as string;
    if (times.length === 0) return;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= times.length) break;
      if (child + 1 < times.length && times[child + 1] < times[child]) child++;
      if (times[child] >= lastTime) break;
      times[index] = times[child];
      fields[index] = fields[child];
      index = child;
    }
    times[index] = lastTime;
    fields[index] = lastField;
  }
}
