/**
 * The sorted set value. Like Redis it has two encodings. A small set (at most
 * zset-max-listpack-entries members of at most zset-max-listpack-value bytes)
 * is a "listpack": two sorted arrays searched linearly. A larger one is a
 * "skiplist": an order-statistics tree plus a member-to-score map. The
 * conversion is one way, so a set that shrinks keeps the large encoding.
 */
import type { Config } from '../config/config';
import { registerPlainCodec } from '../persistence/plain';
import type { PlainValue } from '../persistence/rdb-values';
import { OrderTree } from './order-tree';
import { PackedEntries, type EntryVisitor, type RankedEntries } from './ranked-entries';
import { MAX_MAP_ENTRIES, type CollectionValue } from './types';

/** The listpack limits in force, from zset-max-listpack-entries and -value. */
export interface ListpackLimits {
  maxEntries: number;
  maxValue: number;
}

/** A score interval; `min` and `max` may be infinite. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/**
 * One end of a member interval: `-` (below every member), `+` (above every
 * member), or a member, inclusive or exclusive.
 */
export interface LexBound {
  /** -1 for `-`, 1 for `+`, 0 for a member bound. */
  infinity: -1 | 0 | 1;
  value: string;
  exclusive: boolean;
}

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** A member with its score, as pops and random picks return them. */
export interface ScoredMember {
  member: string;
  score: number;
}

/** Returns whether a score range is empty whatever the entries are. */
function isEmptyScoreRange(range: ScoreRange): boolean {
  if (range.min > range.max) return true;
  return range.min === range.max && (range.minExclusive || range.maxExclusive);
}

function aboveMin(score: number, range: ScoreRange): boolean {
  return range.minExclusive ? score > range.min : score >= range.min;
}

function belowMax(score: number, range: ScoreRange): boolean {
  return range.maxExclusive ? score < range.max : score <= range.max;
}

/** Compares two member bounds, with `-` below and `+` above every member. */
function compareLexBounds(first: LexBound, second: LexBound): number {
  if (first.infinity !== 0 || second.infinity !== 0) return first.infinity - second.infinity;
  if (first.value === second.value) return 0;
  return first.value < second.value ? -1 : 1;
}

function isEmptyLexRange(range: LexRange): boolean {
  const order = compareLexBounds(range.min, range.max);
  return order > 0 || (order === 0 && (range.min.exclusive || range.max.exclusive));
}

export function aboveLexMin(member: string, bound: LexBound): boolean {
  if (bound.infinity !== 0) return bound.infinity < 0;
  return bound.exclusive ? member > bound.value : member >= bound.value;
}

export function belowLexMax(member: string, bound: LexBound): boolean {
  if (bound.infinity !== 0) return bound.infinity > 0;
  return bound.exclusive ? member < bound.value : member <= bound.value;
}

export class SortedSet implements CollectionValue {
  readonly type = 'zset' as const;
  #entries: RankedEntries;
  /** Member to score, kept only in the skiplist encoding. */
  #scores: Map<string, number> | null;

  constructor(skiplist = false) {
    this.#entries = skiplist ? new OrderTree() : new PackedEntries();
    this.#scores = skiplist ? new Map() : null;
  }

  /**
   * Creates the value for a new key as Redis 7.0's ZADD does: the skiplist
   * encoding at once when listpacks are disabled or the first member is too
   * long for one.
   */
  static forFirstMember(member: string, limits: ListpackLimits): SortedSet {
    return new SortedSet(limits.maxEntries === 0 || member.length > limits.maxValue);
  }

  encoding(): string {
    return this.#scores === null ? 'listpack' : 'skiplist';
  }

  size(): number {
    return this.#entries.length;
  }

  clone(): SortedSet {
    const copy = new SortedSet();
    copy.#entries = this.#entries.clone();
    copy.#scores = this.#scores === null ? null : new Map(this.#scores);
    return copy;
  }

  /** Returns whether `count` more members would exceed the maximum size of a Map. */
  lacksRoomFor(count: number): boolean {
    return this.#scores !== null && this.#scores.size + count > MAX_MAP_ENTRIES;
  }

  score(member: string): number | undefined {
    if (this.#scores !== null) return this.#scores.get(member);
    const packed = this.#entries as PackedEntries;
    const rank = packed.indexOfMember(member);
    return rank < 0 ? undefined : packed.scoreAt(rank);
  }

  /**
   * Sets a member's score, adding the member when it is missing; returns
   * true when it was added. A new member that breaks the listpack limits
   * converts the set to the skiplist encoding first.
   */
  set(member: string, score: number, limits: ListpackLimits): boolean {
    const current = this.score(member);
    if (current === undefined) {
      this.addNew(member, score, limits);
      return true;
    }
    if (current !== score) this.changeScore(member, current, score);
    return false;
  }

  /**
   * Adds a member that the caller found missing, converting the set to the
   * skiplist encoding first when the member breaks the listpack limits. The
   * listpack stores -0 as 0, like Redis's listpack.
   */
  addNew(member: string, score: number, limits: ListpackLimits): void {
    if (this.#scores === null) {
      const fits = this.#entries.length < limits.maxEntries && member.length <= limits.maxValue;
      if (fits) {
        this.#entries.insert(score === 0 ? 0 : score, member);
        return;
      }
      this.#convertToSkiplist();
    }
    // The map is updated first: if it is full, it throws before the tree changes.
    (this.#scores as Map<string, number>).set(member, score);
    this.#entries.insert(score, member);
  }

  /**
   * Moves a member that the caller found with score `current` (as score()
   * returned it) to a different score. Callers that know both scores skip
   * the member lookups that set() does.
   */
  changeScore(member: string, current: number, score: number): void {
    this.#entries.remove(current, member);
    if (this.#scores === null) {
      this.#entries.insert(score === 0 ? 0 : score, member);
      return;
    }
    this.#entries.insert(score, member);
    this.#scores.set(member, score);
  }

  /** Removes a member; returns false when it was not present. */
  delete(member: string): boolean {
    const score = this.score(member);
    if (score === undefined) return false;
    this.#entries.remove(score, member);
    this.#scores?.delete(member);
    return true;
  }

  /** The 0-based rank of a member from the lowest score, or -1. */
  rank(member: string): number {
    const score = this.score(member);
    return score === undefined ? -1 : this.#entries.rankOf(score, member);
  }

  memberAt(rank: number): string {
    return this.#entries.memberAt(rank);
  }

  scoreAt(rank: number): number {
    return this.#entries.scoreAt(rank);
  }

  /** Visits members and scores from `rank` up (down when `reverse`) until `visit` returns false. */
  walk(rank: number, reverse: boolean, visit: EntryVisitor): void {
    this.#entries.walk(rank, reverse, visit);
  }

  /** Returns up to `count` entries from rank `start` on, upward or downward. */
  entriesFrom(start: number, count: number, reverse: boolean): ScoredMember[] {
    const result: ScoredMember[] = [];
    if (count <= 0) return result;
    this.#entries.walk(start, reverse, (member, score) => {
      result.push({ member, score });
      return result.length < count;
    });
    return result;
  }

  /** The rank of the lowest entry inside a score range, or -1 when the range holds none. */
  firstInScoreRange(range: ScoreRange): number {
    const entries = this.#entries;
    if (!this.#mayHoldScores(range)) return -1;
    const rank = entries.findFirst((score) => aboveMin(score, range));
    if (rank === entries.length || !belowMax(entries.scoreAt(rank), range)) return -1;
    return rank;
  }

  /** The rank of the highest entry inside a score range, or -1. */
  lastInScoreRange(range: ScoreRange): number {
    const entries = this.#entries;
    if (!this.#mayHoldScores(range)) return -1;
    const rank = entries.findLast((score) => belowMax(score, range));
    if (rank < 0 || !aboveMin(entries.scoreAt(rank), range)) return -1;
    return rank;
  }

  /**
   * The rank of the first entry inside a member range, or -1. Member ranges
   * assume every score is equal, as in Redis; otherwise the result follows
   * the entries' order and is not meaningful.
   */
  firstInLexRange(range: LexRange): number {
    const entries = this.#entries;
    if (!this.#mayHoldMembers(range)) return -1;
    const rank = entries.findFirst((_, member) => aboveLexMin(member, range.min));
    if (rank === entries.length || !belowLexMax(entries.memberAt(rank), range.max)) return -1;
    return rank;
  }

  /** The rank of the last entry inside a member range, or -1. */
  lastInLexRange(range: LexRange): number {
    const entries = this.#entries;
    if (!this.#mayHoldMembers(range)) return -1;
    const rank = entries.findLast((_, member) => belowLexMax(member, range.max));
    if (rank < 0 || !aboveLexMin(entries.memberAt(rank), range.min)) return -1;
    return rank;
  }

  /**
   * The first and last ranks of a member range, or null when it is empty. In
   * the listpack encoding the last one is found by walking on from the first
   * while members stay below the maximum, as Redis does, so that ranges over
   * members with different scores give Redis's answer.
   */
  lexRangeRanks(range: LexRange): [number, number] | null {
    const first = this.firstInLexRange(range);
    if (first < 0) return null;
    if (this.#scores !== null) return [first, Math.max(first, this.lastInLexRange(range))];
    let last = first;
    this.#entries.walk(first + 1, false, (member) => {
      if (!belowLexMax(member, range.max)) return false;
      last++;
      return true;
    });
    return [first, last];
  }

  /** Removes the entries with ranks `start` to `end` inclusive; returns how many. */
  removeRanks(start: number, end: number): number {
    const count = end - start + 1;
    if (count <= 0) return 0;
    if (count === this.#entries.length) {
      this.#entries = this.#scores === null ? new PackedEntries() : new OrderTree();
      this.#scores?.clear();
      return count;
    }
    const scores = this.#scores;
    if (scores !== null && count * 2 > this.#entries.length) {
      this.#rebuildWithout(start, end);
      return count;
    }
    if (scores !== null) {
      let left = count;
      this.#entries.walk(start, false, (member) => {
        scores.delete(member);
        return --left > 0;
      });
    }
    for (let i = 0; i < count; i++) this.#entries.removeAt(start);
    return count;
  }

  /**
   * Replaces the skiplist encoding's tree and map with ones holding every
   * entry outside ranks `start` to `end`, which is faster than removing
   * entry by entry when most entries go.
   */
  #rebuildWithout(start: number, end: number): void {
    const tree = new OrderTree();
    const scores = new Map<string, number>();
    const keep = (member: string, score: number): boolean => {
      tree.insert(score, member);
      scores.set(member, score);
      return true;
    };
    let left = start;
    if (start > 0)
      this.#entries.walk(0, false, (member, score) => keep(member, score) && --left > 0);
    this.#entries.walk(end + 1, false, keep);
    this.#entries = tree;
    this.#scores = scores;
  }

  /** The member-to-score map of the skiplist encoding (for ZSCAN), or null for a listpack. */
  scoreMap(): ReadonlyMap<string, number> | null {
    return this.#scores;
  }

  /** Whether the first entry is not above the range and the last not below it, as Redis checks. */
  #mayHoldScores(range: ScoreRange): boolean {
    const entries = this.#entries;
    if (isEmptyScoreRange(range) || entries.length === 0) return false;
    if (!aboveMin(entries.scoreAt(entries.length - 1), range)) return false;
    return belowMax(entries.scoreAt(0), range);
  }

  #mayHoldMembers(range: LexRange): boolean {
    const entries = this.#entries;
    if (isEmptyLexRange(range) || entries.length === 0) return false;
    if (!aboveLexMin(entries.memberAt(entries.length - 1), range.min)) return false;
    return belowLexMax(entries.memberAt(0), range.max);
  }

  #convertToSkiplist(): void {
    const tree = new OrderTree();
    const scores = new Map<string, number>();
    this.#entries.walk(0, false, (member, score) => {
      tree.insert(score, member);
      scores.set(member, score);
      return true;
    });
    this.#entries = tree;
    this.#scores = scores;
  }
}

/** Returns the listpack limits of a configuration. */
export function zsetLimits(config: Config): ListpackLimits {
  return {
    maxEntries: config.number('zset-max-listpack-entries'),
    maxValue: config.number('zset-max-listpack-value'),
  };
}

/**
 * Builds a sorted set from stored entries (a snapshot or RESTORE). As when
 * Redis loads one, it is a listpack exactly when it fits the limits.
 */
export function zsetFromEntries(
  entries: Iterable<[string, number]>,
  limits: ListpackLimits,
): SortedSet {
  const zset = new SortedSet();
  for (const [member, score] of entries) zset.set(member, score, limits);
  return zset;
}

registerPlainCodec('zset', {
  toPlain: (value): PlainValue => {
    const zset = value as SortedSet;
    const entries = zset.entriesFrom(0, zset.size(), false);
    return { type: 'zset', entries: entries.map((entry) => [entry.member, entry.score]) };
  },
  fromPlain: (plain, config) => {
    if (plain.type !== 'zset') throw new Error(`expected a sorted set, got ${plain.type}`);
    return zsetFromEntries(plain.entries, zsetLimits(config));
  },
});
