/**
 * Cursor iteration for SCAN, HSCAN, SSCAN and ZSCAN over insertion-ordered
 * JavaScript collections (Map, Set), which have no positional cursor.
 *
 * A scan keeps its live iterator in a bounded table under the cursor number
 * it returned, so the next call resumes exactly there. A live Map or Set
 * iterator skips entries deleted after it was created and reaches entries
 * added after it. So while the cursor stays in the table, every entry present
 * for the whole scan is returned exactly once. A scan takes at most as many
 * steps as the collection had entries when it started: entries added later
 * sit after all of those, so the limit loses none of the guaranteed entries
 * and makes sure a scan ends even while entries keep being added.
 *
 * The cursor number also encodes how many entries the scan has stepped over.
 * When a cursor is no longer in the table (dropped as the oldest, or sent to
 * another collection or a new server process), the scan restarts that many
 * entries from the start.
 * NOTE: such a stale cursor can skip entries: as many as were deleted, since
 * the cursor was issued, from the part of the collection already stepped over.
 */

/** A page of a scan: the items stepped over and the cursor to send back ("0" at the end). */
export interface ScanPage<T> {
  cursor: string;
  items: T[];
}

interface SavedWalk {
  /** The collection the walk belongs to, compared by identity. */
  origin: object;
  iterator: Iterator<unknown>;
  /** Entries stepped over since the scan started. */
  position: number;
  /** Steps left before the walk ends. */
  remaining: number;
}

/**
 * Cursor numbers are `position * SLOTS + slot`. V8 (Node 20) limits a Map or
 * Set to 2^24 entries, so positions fit in 24 bits and cursors stay below
 * 2^48, exact even for clients that parse the cursor as a double.
 */
const SLOTS = 2 ** 24;
/** Saved walks kept across every collection; the oldest is dropped first. */
const MAX_SAVED_WALKS = 1024;

const savedWalks = new Map<number, SavedWalk>();
let nextSlot = 1;

/**
 * Steps up to `count` entries of a collection from `cursor` (0 starts a new
 * scan). `open` returns a fresh iterator over the collection, whose identity
 * is `origin` and whose current size is `size`. The caller filters the items
 * (MATCH, TYPE, expired keys) and replies with the returned cursor.
 */
export function scanIterable<T>(
  origin: object,
  open: () => Iterator<T>,
  size: number,
  cursor: bigint,
  count: number,
): ScanPage<T> {
  const walk = resumeWalk(origin, open, size, cursor);
  const items: T[] = [];
  while (walk.remaining > 0 && items.length < count) {
    const step = walk.iterator.next();
    if (step.done) {
      walk.remaining = 0;
      break;
    }
    walk.remaining--;
    walk.position++;
    items.push(step.value as T);
  }
  return { cursor: walk.remaining > 0 ? saveWalk(walk) : '0', items };
}

/** Steps over a Map's entries; see scanIterable. */
export function scanMap<K, V>(map: Map<K, V>, cursor: bigint, count: number): ScanPage<[K, V]> {
  return scanIterable(map, () => map.entries(), map.size, cursor, count);
}

/** Steps over a Set's members; see scanIterable. */
export function scanSet<T>(set: Set<T>, cursor: bigint, count: number): ScanPage<T> {
  return scanIterable(set, () => set.values(), set.size, cursor, count);
}

/**
 * Drops the saved walks of a collection that is being discarded (FLUSHDB,
 * SWAPDB), so they no longer keep its entries in memory.
 */
export function forgetCursors(origin: object): void {
  for (const [cursor, walk] of savedWalks) {
    if (walk.origin === origin) savedWalks.delete(cursor);
  }
}

function resumeWalk(
  origin: object,
  open: () => Iterator<unknown>,
  size: number,
  cursor: bigint,
): SavedWalk {
  if (cursor === 0n) return { origin, iterator: open(), position: 0, remaining: size };
  const key = Number(cursor);
  const saved = cursor < BigInt(Number.MAX_SAFE_INTEGER) ? savedWalks.get(key) : undefined;
  if (saved !== undefined && saved.origin === origin) {
    savedWalks.delete(key);
    return saved;
  }
  return skipFromStart(origin, open, size, Number(cursor / BigInt(SLOTS)));
}

/** Rebuilds a walk for a cursor that is not in the table, from the position it encodes. */
function skipFromStart(
  origin: object,
  open: () => Iterator<unknown>,
  size: number,
  position: number,
): SavedWalk {
  const iterator = open();
  if (position >= size) return { origin, iterator, position, remaining: 0 };
  for (let i = 0; i < position; i++) iterator.next();
  return { origin, iterator, position, remaining: size - position };
}

function saveWalk(walk: SavedWalk): string {
  const slot = nextSlot;
  nextSlot = nextSlot + 1 < SLOTS ? nextSlot + 1 : 1;
  const cursor = walk.position * SLOTS + slot;
  if (savedWalks.size >= MAX_SAVED_WALKS) {
    const oldest = savedWalks.keys().next().value as number;
    savedWalks.delete(oldest);
  }
  savedWalks.set(cursor, walk);
  return String(cursor);
}
