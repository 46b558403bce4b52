/**
 * The list value type: a doubly linked list of packed nodes (list-node.ts),
 * like Redis's quicklist of listpacks. Pushes and pops at either end are
 * O(1); access by index walks whole nodes from the nearer end, then entries
 * inside one node.
 *
 * `fill` is the `list-max-listpack-size` setting, passed by every call that
 * adds entries. A negative value -1..-5 caps each node at 4, 8, 16, 32 or
 * 64 KiB. A positive value caps the entries per node, and then a node also
 * stays within 8 KiB (Redis's safety limit).
 *
 * OBJECT ENCODING follows Redis 7.2: 'listpack' while the list fits in one
 * node within those limits, 'quicklist' once an addition passes them, and
 * 'listpack' again when a removal leaves one node at most half the limits.
 * NOTE: Redis 7.0 reports 'quicklist' for every list. Node sizes count
 * Damselfly's bytes (2 bytes of framing per short entry, integers stored as
 * text), so the switch can come at a different length than in Redis 7.2,
 * which packs integers tighter.
 */
import { registerPlainCodec } from '../persistence/plain';
import type { RespWriter } from '../protocol/resp/reply';
import type { PlainValue } from '../persistence/rdb-values';
import { entrySize, ListNode } from './list-node';
import type { CollectionValue } from './types';

const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** Maximum bytes of a node when `fill` counts entries. */
const SIZE_SAFETY_LIMIT = 8192;

/** Returns the byte limit of one node for a `list-max-listpack-size` value. */
export function nodeSizeLimit(fill: number): number {
  if (fill >= 0) return SIZE_SAFETY_LIMIT;
  return NODE_SIZE_LIMITS[Math.min(-fill, NODE_SIZE_LIMITS.length) - 1];
}

/** Returns the entry limit of one node: unlimited for a size-based fill, else at least 1. */
function nodeCountLimit(fill: number): number {
  if (fill < 0) return Infinity;
  return Math.max(fill, 1);
}

/** Returns whether a node of `size` bytes and `count` entries is within the limits. */
function withinLimits(size: number, count: number, fill: number): boolean {
  return size <= nodeSizeLimit(fill) && count <= nodeCountLimit(fill);
}

/** Location of an entry: its node and the byte offset of its start. */
interface Position {
  node: ListNode;
  offset: number;
}

export class ListValue implements CollectionValue {
  readonly type = 'list' as const;
  #head: ListNode | null = null;
  #tail: ListNode | null = null;
  #length = 0;
  #quicklist = false;

  /** Builds a list from values in head-to-tail order. */
  static from(values: Iterable<string>, fill: number): ListValue {
    const list = new ListValue();
    for (const value of values) list.pushTail(value, fill);
    return list;
  }

  /**
   * Redis 7.0 reports every list as `quicklist`, whatever its size (7.2 added
   * `listpack` for small lists). The reply follows 7.0, the version clients
   * are checked against; the node layout still follows `list-max-listpack-size`.
   */
  encoding(): string {
    return 'quicklist';
  }

  size(): number {
    return this.#length;
  }

  clone(): ListValue {
    const copy = new ListValue();
    for (let node = this.#head; node !== null; node = node.next) copy.#link(node.clone(), null);
    copy.#length = this.#length;
    copy.#quicklist = this.#quicklist;
    return copy;
  }

  /** Bytes the list's buffers take, used or not, for memory estimates. */
  bufferBytes(): number {
    let total = 0;
    for (let node = this.#head; node !== null; node = node.next) total += node.capacity;
    return total;
  }

  /** Number of nodes, for tests and memory estimates. */
  nodeCount(): number {
    let count = 0;
    for (let node = this.#head; node !== null; node = node.next) count++;
    return count;
  }

  pushHead(value: string, fill: number): void {
    const head = this.#head;
    const added = entrySize(value.length);
    if (head !== null && this.#accepts(head, added, fill)) {
      head.pushHead(value, nodeSizeLimit(fill));
    } else {
      const node = ListNode.empty(this.#newNodeCapacity(added, fill), true);
      node.pushHead(value, nodeSizeLimit(fill));
      this.#link(node, head);
      head?.shrink();
    }
    this.#length++;
    this.#afterGrowth(fill);
  }

  pushTail(value: string, fill: number): void {
    const tail = this.#tail;
    const added = entrySize(value.length);
    if (tail !== null && this.#accepts(tail, added, fill)) {
      tail.pushTail(value, nodeSizeLimit(fill));
    } else {
      const node = ListNode.empty(this.#newNodeCapacity(added, fill), false);
      node.pushTail(value, nodeSizeLimit(fill));
      this.#link(node, null);
      tail?.shrink();
    }
    this.#length++;
    this.#afterGrowth(fill);
  }

  /** Removes and returns the first element, or undefined when the list is empty. */
  popHead(fill: number): string | undefined {
    const head = this.#head;
    if (head === null) return undefined;
    const value = head.popHead();
    this.#afterRemoval(head, 1, fill);
    return value;
  }

  popTail(fill: number): string | undefined {
    const tail = this.#tail;
    if (tail === null) return undefined;
    const value = tail.popTail();
    this.#afterRemoval(tail, 1, fill);
    return value;
  }

  /** Returns the element at `index` (0 is the head), or undefined when out of range. */
  at(index: number): string | undefined {
    if (index < 0 || index >= this.#length) return undefined;
    const position = this.#locate(index);
    return position.node.valueAt(position.offset);
  }

  /** Replaces the element at `index`, which must be in range. */
  set(index: number, value: string, fill: number): void {
    const { node, offset } = this.#locate(index);
    node.replaceAt(offset, value);
    this.#splitIfOver(node, fill);
    this.#afterGrowth(fill);
    this.#afterShrink(fill);
  }

  /**
   * Calls `visit` with `count` elements, from `index` towards the tail, or
   * towards the head when `reverse` is set. The range must be in the list.
   */
  forEach(index: number, count: number, reverse: boolean, visit: (value: string) => void): void {
    this.#walk(index, count, reverse, (node, offset) => visit(node.valueAt(offset)));
  }

  /** Writes `count` elements from `index` as bulk replies, copying bytes straight from the nodes. */
  writeBulks(index: number, count: number, writer: RespWriter): void {
    this.#walk(index, count, false, (node, offset) => node.writeBulkAt(offset, writer));
  }

  #walk(
    index: number,
    count: number,
    reverse: boolean,
    visit: (node: ListNode, offset: number) => void,
  ): void {
    if (count <= 0) return;
    let { node, offset } = this.#locate(index);
    for (let visited = 1; ; visited++) {
      visit(node, offset);
      if (visited === count) return;
      if (reverse) {
        if (offset === node.start) {
          node = node.prev as ListNode;
          offset = node.end;
        }
        offset = node.previousOffset(offset);
      } else {
        offset = node.nextOffset(offset);
        if (offset === node.end) {
          node = node.next as ListNode;
          offset = node.start;
        }
      }
    }
  }

  /** Returns all elements from head to tail. */
  values(): string[] {
    const values: string[] = [];
    this.forEach(0, this.#length, false, (value) => values.push(value));
    return values;
  }

  /**
   * Returns the indexes of elements equal to `element`, scanning from the
   * head (or the tail when `reverse`), skipping the first `skip` matches,
   * collecting at most `limit` and looking at no more than `maxLength`
   * elements (0: all).
   */
  positions(
    element: string,
    skip: number,
    limit: number,
    reverse: boolean,
    maxLength: number,
  ): number[] {
    const needle = Buffer.from(element, 'latin1');
    const found: number[] = [];
    let skipped = 0;
    this.#scan(reverse, maxLength, (node, offset, index) => {
      if (!node.entryEquals(offset, needle)) return true;
      if (skipped < skip) {
        skipped++;
        return true;
      }
      found.push(index);
      return found.length < limit;
    });
    return found;
  }

  /** Inserts `value` before or after the first `pivot` from the head; false when missing. */
  insert(pivot: string, value: string, after: boolean, fill: number): boolean {
    const needle = Buffer.from(pivot, 'latin1');
    let target: Position | null = null;
    this.#scan(false, 0, (node, offset) => {
      if (!node.entryEquals(offset, needle)) return true;
      target = { node, offset: after ? node.nextOffset(offset) : offset };
      return false;
    });
    if (target === null) return false;
    const { node, offset } = target as Position;
    node.insertAt(offset, value);
    this.#length++;
    this.#splitIfOver(node, fill);
    this.#afterGrowth(fill);
    return true;
  }

  /**
   * Removes up to `count` elements equal to `element` (all when 0), from the
   * head, or from the tail when `count` is negative. Returns how many went.
   */
  remove(element: string, count: number, fill: number): number {
    const needle = Buffer.from(element, 'latin1');
    const reverse = count < 0;
    const limit = count === 0 ? Infinity : Math.abs(count);
    const matches = new Map<ListNode, number[]>();
    let removed = 0;
    this.#scan(reverse, 0, (node, offset) => {
      if (!node.entryEquals(offset, needle)) return true;
      const offsets = matches.get(node);
      if (offsets === undefined) matches.set(node, [offset]);
      else offsets.push(offset);
      return ++removed < limit;
    });
    for (const [node, offsets] of matches) {
      if (reverse) offsets.reverse();
      node.removeAt(offsets);
      this.#length -= offsets.length;
      if (node.count === 0) this.#unlink(node);
    }
    if (removed > 0) this.#afterShrink(fill);
    return removed;
  }

  /** Keeps only the elements from `first` to `last` inclusive (valid indexes, first <= last). */
  trim(first: number, last: number, fill: number): void {
    this.#dropFromHead(first);
    this.#dropFromTail(this.#length - (last - first + 1));
    this.#afterShrink(fill);
  }

  /** Removes every element. */
  clear(): void {
    this.#head = null;
    this.#tail = null;
    this.#length = 0;
    this.#quicklist = false;
  }

  #dropFromHead(count: number): void {
    let remaining = count;
    while (remaining > 0 && this.#head !== null) {
      const node = this.#head;
      const dropped = Math.min(remaining, node.count);
      if (dropped === node.count) this.#unlink(node);
      else node.dropHead(dropped);
      this.#length -= dropped;
      remaining -= dropped;
    }
  }

  #dropFromTail(count: number): void {
    let remaining = count;
    while (remaining > 0 && this.#tail !== null) {
      const node = this.#tail;
      const dropped = Math.min(remaining, node.count);
      if (dropped === node.count) this.#unlink(node);
      else node.dropTail(dropped);
      this.#length -= dropped;
      remaining -= dropped;
    }
  }

  /**
   * Visits entries with their index, from the head or the tail, until
   * `visit` returns false or `maxLength` entries were seen (0: no limit).
   */
  #scan(
    reverse: boolean,
    maxLength: number,
    visit: (node: ListNode, offset: number, index: number) => boolean,
  ): void {
    const limit = maxLength === 0 ? this.#length : Math.min(maxLength, this.#length);
    let seen = 0;
    let node = reverse ? this.#tail : this.#head;
    while (node !== null && seen < limit) {
      let offset = reverse ? node.end : node.start;
      for (let i = 0; i < node.count && seen < limit; i++, seen++) {
        if (reverse) offset = node.previousOffset(offset);
        const index = reverse ? this.#length - 1 - seen : seen;
        if (!visit(node, offset, index)) return;
        if (!reverse) offset = node.nextOffset(offset);
      }
      node = reverse ? node.prev : node.next;
    }
  }

  /** Finds the entry at `index` (in range), walking nodes from the nearer end. */
  #locate(index: number): Position {
    if (index < this.#length >> 1) {
      let node = this.#head as ListNode;
      let skip = index;
      while (skip >= node.count) {
        skip -= node.count;
        node = node.next as ListNode;
      }
      return { node, offset: node.offsetOf(skip) };
    }
    let node = this.#tail as ListNode;
    let fromEnd = this.#length - 1 - index;
    while (fromEnd >= node.count) {
      fromEnd -= node.count;
      node = node.prev as ListNode;
    }
    return { node, offset: node.offsetOf(node.count - 1 - fromEnd) };
  }

  /**
   * The buffer size for a new end node: just the entry for a list's first
   * node, but a whole node's worth once the list has filled one, which
   * spares a growing list the copies and freed buffers of step-by-step growth.
   */
  #newNodeCapacity(added: number, fill: number): number {
    if (this.#head === null) return added;
    return Math.max(added, Math.min(nodeSizeLimit(fill), this.#head.size * 2));
  }

  /** Whether `node` can take `added` more bytes and one more entry. */
  #accepts(node: ListNode, added: number, fill: number): boolean {
    return withinLimits(node.size + added, node.count + 1, fill);
  }

  /** Splits a node that an insertion or replacement took past the limits, in halves by entries. */
  #splitIfOver(node: ListNode, fill: number): void {
    if (node.count <= 1 || withinLimits(node.size, node.count, fill)) return;
    const half = node.count >> 1;
    const second = node.splitAt(node.offsetOf(half), half);
    this.#link(second, node.next);
    this.#splitIfOver(node, fill);
    this.#splitIfOver(second, fill);
  }

  #afterRemoval(node: ListNode, removed: number, fill: number): void {
    this.#length -= removed;
    if (node.count === 0) this.#unlink(node);
    this.#afterShrink(fill);
  }

  /** Switches to 'quicklist' once the list no longer fits one node within the limits. */
  #afterGrowth(fill: number): void {
    if (this.#quicklist) return;
    const head = this.#head;
    if (head === null) return;
    if (head.next !== null || !withinLimits(head.size, head.count, fill)) this.#quicklist = true;
  }

  /** Switches back to 'listpack' when one node remains at most half the limits. */
  #afterShrink(fill: number): void {
    if (!this.#quicklist) return;
    const head = this.#head;
    if (head === null) {
      this.#quicklist = false;
      return;
    }
    if (head.next !== null) return;
    const halfCount = nodeCountLimit(fill) / 2;
    if (head.size <= nodeSizeLimit(fill) / 2 && head.count <= halfCount) this.#quicklist = false;
  }

  /** Links `node` in before `before`, or at the tail when `before` is null. */
  #link(node: ListNode, before: ListNode | null): void {
    const after = before === null ? this.#tail : before.prev;
    node.prev = after;
    node.next = before;
    if (after === null) this.#head = node;
    else after.next = node;
    if (before === null) this.#tail = node;
    else before.prev = node;
  }

  #unlink(node: ListNode): void {
    if (node.prev === null) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
  }
}

registerPlainCodec('list', {
  toPlain: (value): PlainValue => ({ type: 'list', elements: (value as ListValue).values() }),
  fromPlain: (plain, config) => {
    if (plain.type !== 'list') throw new Error(`expected a list, got ${plain.type}`);
    return ListValue.from(plain.elements, config.number('list-max-listpack-size'));
  },
});
