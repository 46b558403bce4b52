/**
 * The ordered part of a sorted set: (score, member) entries sorted by score,
 * then by member bytes, with access by rank. Two implementations share this
 * interface: PackedEntries (the small "listpack" encoding, two arrays) and
 * OrderTree (the large "skiplist" encoding, a counted B+ tree).
 */

/** A test on an entry, used to find the bounds of score and member ranges. */
export type EntryTest = (score: number, member: string) => boolean;

/** Receives entries during a walk; returning false stops the walk. */
export type EntryVisitor = (member: string, score: number) => boolean;

export interface RankedEntries {
  readonly length: number;
  /** Inserts an entry that is not present yet. */
  insert(score: number, member: string): void;
  removeAt(rank: number): void;
  /** Removes the entry (score, member); returns false when it is not present. */
  remove(score: number, member: string): boolean;
  memberAt(rank: number): string;
  scoreAt(rank: number): number;
  /** The rank of an entry, or -1 when it is not present. */
  rankOf(score: number, member: string): number;
  /**
   * The rank of the first entry that passes `test`, looking from the lowest
   * rank; `length` when none does. `test` is expected to fail for a prefix of
   * the entries and pass for the rest.
   */
  findFirst(test: EntryTest): number;
  /**
   * The rank of the last entry that passes `test`, looking from the highest
   * rank; -1 when none does. `test` is expected to pass for a prefix.
   */
  findLast(test: EntryTest): number;
  /** Visits entries from `rank` upward, or downward when `reverse`, until `visit` returns false. */
  walk(rank: number, reverse: boolean, visit: EntryVisitor): void;
  /** A copy with the same entries. */
  clone(): RankedEntries;
}

/** Orders entries by score, then by member bytes (strings hold one byte per character). */
export function compareEntries(
  score: number,
  member: string,
  otherScore: number,
  otherMember: string,
): number {
  if (score < otherScore) return -1;
  if (score > otherScore) return 1;
  if (member === otherMember) return 0;
  return member < otherMember ? -1 : 1;
}

/**
 * The small encoding: parallel sorted arrays, searched linearly where Redis
 * scans its listpack linearly, so that member ranges over entries with
 * different scores come out as Redis's.
 */
export class PackedEntries implements RankedEntries {
  #members: string[];
  #scores: number[];

  constructor(members: string[] = [], scores: number[] = []) {
    this.#members = members;
    this.#scores = scores;
  }

  get length(): number {
    return this.#members.length;
  }

  insert(score: number, member: string): void {
    const rank = this.#lowerBound(score, member);
    this.#members.splice(rank, 0, member);
    this.#scores.splice(rank, 0, score);
  }

  removeAt(rank: number): void {
    this.#members.splice(rank, 1);
    this.#scores.splice(rank, 1);
  }

  remove(score: number, member: string): boolean {
    const rank = this.rankOf(score, member);
    if (rank < 0) return false;
    this.removeAt(rank);
    return true;
  }

  memberAt(rank: number): string {
    return this.#members[rank];
  }

  scoreAt(rank: number): number {
    return this.#scores[rank];
  }

  /** Returns the rank of a member by scanning, or -1; the score is not needed. */
  indexOfMember(member: string): number {
    return this.#members.indexOf(member);
  }

  rankOf(score: number, member: string): number {
    const rank = this.#lowerBound(score, member);
    return this.#members[rank] === member && this.#scores[rank] === score ? rank : -1;
  }

  findFirst(test: EntryTest): number {
    const length = this.#members.length;
    for (let rank = 0; rank < length; rank++) {
      if (test(this.#scores[rank], this.#members[rank])) return rank;
    }
    return length;
  }

  findLast(test: EntryTest): number {
    for (let rank = this.#members.length - 1; rank >= 0; rank--) {
      if (test(this.#scores[rank], this.#members[rank])) return rank;
    }
    return -1;
  }

  walk(rank: number, reverse: boolean, visit: EntryVisitor): void {
    const step = reverse ? -1 : 1;
    for (let i = rank; i >= 0 && i < this.#members.length; i += step) {
      if (!visit(this.#members[i], this.#scores[i])) return;
    }
  }

  clone(): PackedEntries {
    return new PackedEntries([...this.#members], [...this.#scores]);
  }

  #lowerBound(score: number, member: string): number {
    let low = 0;
    let high = this.#members.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareEntries(this.#scores[middle], this.#members[middle], score, member) < 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
}
