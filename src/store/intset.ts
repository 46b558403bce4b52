/**
 * A sorted array of signed 64-bit integers, the 'intset' encoding of a set
 * whose members are all integers. Eight bytes a member, binary search.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_PATTERN = /^(0|-?[1-9][0-9]{0,18})$/;

/**
 * Returns the integer a member stands for when Redis would keep it in an
 * intset: the canonical decimal form of a signed 64-bit integer (no sign '+',
 * no leading zeros, no "-0"). Otherwise null.
 */
export function toIntsetMember(text: string): bigint | null {
  if (text.length > 20 || !INTEGER_PATTERN.test(text)) return null;
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX ? value : null;
}

export class IntSet {
  #values: BigInt64Array;
  #size = 0;

  constructor(capacity = 4) {
    this.#values = new BigInt64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  has(value: bigint): boolean {
    return this.#search(value) >= 0;
  }

  /** Inserts a value; returns false when it was already there. */
  add(value: bigint): boolean {
    const found = this.#search(value);
    if (found >= 0) return false;
    const index = -found - 1;
    if (this.#size === this.#values.length) this.#grow();
    this.#values.copyWithin(index + 1, index, this.#size);
    this.#values[index] = value;
    this.#size++;
    return true;
  }

  delete(value: bigint): boolean {
    const index = this.#search(value);
    if (index < 0) return false;
    this.#values.copyWithin(index, index + 1, this.#size);
    this.#size--;
    return true;
  }

  /** Returns the member at a position in ascending order, as a decimal string. */
  at(index: number): string {
    return String(this.#values[index]);
  }

  min(): bigint {
    return this.#values[0];
  }

  max(): bigint {
    return this.#values[this.#size - 1];
  }

  /** Returns the members in ascending order, as decimal strings. */
  members(): string[] {
    const members = new Array<string>(this.#size);
    for (let i = 0; i < this.#size; i++) members[i] = String(this.#values[i]);
    return members;
  }

  clone(): IntSet {
    const copy = new IntSet(Math.max(4, this.#size));
    copy.#values.set(this.#values.subarray(0, this.#size));
    copy.#size = this.#size;
    return copy;
  }

  #grow(): void {
    const grown = new BigInt64Array(this.#values.length * 2);
    grown.set(this.#values);
    this.#values = grown;
  }

  /** Returns the index of `value`, or -(insertion point) - 1 when it is absent. */
  #search(value: bigint): number {
    let low = 0;
    let high = this.#size - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const current = this.#values[middle];
      if (current < value) low = middle + 1;
      else if (current > value) high = middle - 1;
      else return middle;
    }
    return -low - 1;
  }
}
