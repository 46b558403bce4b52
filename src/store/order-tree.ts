/**
 * A counted B+ tree of sorted set entries: the large encoding, which Redis
 * builds as a skip list with span counts. Every branch stores how many
 * entries lie under each child, so finding, inserting and removing by rank
 * or by key take O(log n) steps, and leaves are linked for walks.
 *
 * A wide tree keeps entries in flat arrays, which costs far less memory in
 * JavaScript than one object per skip list node.
 */
import type { EntryTest, EntryVisitor, RankedEntries } from './ranked-entries';

/** Entries per leaf and children per branch before a node splits. */
const DEFAULT_CAPACITY = 64;

class Leaf {
  members: string[];
  scores: number[];
  previous: Leaf | null = null;
  next: Leaf | null = null;

  constructor(members: string[], scores: number[]) {
    this.members = members;
    this.scores = scores;
  }
}

/**
 * An inner node. `separatorScores[i]` and `separatorMembers[i]` (for i >= 1)
 * form a key no greater than any entry under `children[i]` and greater than
 * every entry under `children[i - 1]`; index 0 is unused.
 */
class Branch {
  children: TreeNode[];
  counts: number[];
  separatorScores: number[];
  separatorMembers: string[];

  constructor(
    children: TreeNode[],
    counts: number[],
    separatorScores: number[],
    separatorMembers: string[],
  ) {
    this.children = children;
    this.counts = counts;
    this.separatorScores = separatorScores;
    this.separatorMembers = separatorMembers;
  }
}

type TreeNode = Leaf | Branch;

/** A node split off during an insert, with the key that separates it from its left sibling. */
interface Split {
  node: TreeNode;
  count: number;
  score: number;
  member: string;
}

function itemCount(node: TreeNode): number {
  return node instanceof Leaf ? node.members.length : node.children.length;
}

/**
 * Returns the index of the child of `branch` whose entries span the key
 * (score, member): the last child whose separator is not above the key, or
 * 0. The comparisons are inline, not an EntryTest callback, because this
 * runs on every level of every insert and removal.
 */
function childFor(branch: Branch, score: number, member: string): number {
  const scores = branch.separatorScores;
  const members = branch.separatorMembers;
  let low = 1;
  let high = scores.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const other = scores[middle];
    if (other > score || (other === score && members[middle] > member)) high = middle;
    else low = middle + 1;
  }
  return low - 1;
}

/** Returns the index of the first entry of `leaf` that is not below the key (score, member). */
function lowerBound(leaf: Leaf, score: number, member: string): number {
  const scores = leaf.scores;
  const members = leaf.members;
  let low = 0;
  let high = scores.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const other = scores[middle];
    if (other < score || (other === score && members[middle] < member)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

export class OrderTree implements RankedEntries {
  #root: TreeNode = new Leaf([], []);
  #length = 0;
  readonly #capacity: number;
  /** A node with fewer items than this is merged with or refilled from a sibling. */
  readonly #minimum: number;

  /** `capacity` (at least 4) is the node size; tests use small ones to reach deep trees. */
  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = Math.max(4, capacity);
    this.#minimum = this.#capacity >>> 2;
  }

  get length(): number {
    return this.#length;
  }

  insert(score: number, member: string): void {
    const split = this.#insertInto(this.#root, score, member);
    this.#length++;
    if (split === null) return;
    const left = this.#root;
    this.#root = new Branch(
      [left, split.node],
      [this.#length - split.count, split.count],
      [0, split.score],
      ['', split.member],
    );
  }

  removeAt(rank: number): void {
    this.#removeFrom(this.#root, rank);
    this.#afterRemoval();
  }

  remove(score: number, member: string): boolean {
    if (!this.#removeKey(this.#root, score, member)) return false;
    this.#afterRemoval();
    return true;
  }

  memberAt(rank: number): string {
    const { leaf, index } = this.#locate(rank);
    return leaf.members[index];
  }

  scoreAt(rank: number): number {
    const { leaf, index } = this.#locate(rank);
    return leaf.scores[index];
  }

  rankOf(score: number, member: string): number {
    let node = this.#root;
    let rank = 0;
    while (node instanceof Branch) {
      const child = childFor(node, score, member);
      for (let i = 0; i < child; i++) rank += node.counts[i];
      node = node.children[child];
    }
    const index = lowerBound(node, score, member);
    const found = node.members[index] === member && node.scores[index] === score;
    return found ? rank + index : -1;
  }

  findFirst(test: EntryTest): number {
    let node = this.#root;
    let rank = 0;
    while (node instanceof Branch) {
      const child = this.#childBefore(node, test);
      for (let i = 0; i < child; i++) rank += node.counts[i];
      node = node.children[child];
    }
    return rank + this.#firstPassing(node, test);
  }

  findLast(test: EntryTest): number {
    return this.findFirst((score, member) => !test(score, member)) - 1;
  }

  walk(rank: number, reverse: boolean, visit: EntryVisitor): void {
    if (rank < 0 || rank >= this.#length) return;
    let { leaf, index }: { leaf: Leaf | null; index: number } = this.#locate(rank);
    while (leaf !== null) {
      if (!this.#walkLeaf(leaf, index, reverse, visit)) return;
      leaf = reverse ? leaf.previous : leaf.next;
      index = reverse ? (leaf?.members.length ?? 0) - 1 : 0;
    }
  }

  clone(): OrderTree {
    const copy = new OrderTree(this.#capacity);
    this.walk(0, false, (member, score) => {
      copy.insert(score, member);
      return true;
    });
    return copy;
  }

  /** Visits one leaf from `index`; returns false when the visitor stopped. */
  #walkLeaf(leaf: Leaf, index: number, reverse: boolean, visit: EntryVisitor): boolean {
    const { members, scores } = leaf;
    if (reverse) {
      for (let i = index; i >= 0; i--) if (!visit(members[i], scores[i])) return false;
    } else {
      for (let i = index; i < members.length; i++) if (!visit(members[i], scores[i])) return false;
    }
    return true;
  }

  #locate(rank: number): { leaf: Leaf; index: number } {
    let node = this.#root;
    let remaining = rank;
    while (node instanceof Branch) {
      let child = 0;
      while (remaining >= node.counts[child]) remaining -= node.counts[child++];
      node = node.children[child];
    }
    return { leaf: node, index: remaining };
  }

  /**
   * The child that holds the first entry passing `test`: the one before the
   * first separator that passes, or the last child.
   */
  #childBefore(branch: Branch, test: EntryTest): number {
    let low = 1;
    let high = branch.children.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (test(branch.separatorScores[middle], branch.separatorMembers[middle])) high = middle;
      else low = middle + 1;
    }
    return low - 1;
  }

  #firstPassing(leaf: Leaf, test: EntryTest): number {
    let low = 0;
    let high = leaf.members.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (test(leaf.scores[middle], leaf.members[middle])) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  #insertInto(node: TreeNode, score: number, member: string): Split | null {
    if (node instanceof Leaf) return this.#insertIntoLeaf(node, score, member);
    const child = childFor(node, score, member);
    node.counts[child]++;
    const split = this.#insertInto(node.children[child], score, member);
    if (split === null) return null;
    node.children.splice(child + 1, 0, split.node);
    node.counts[child] -= split.count;
    node.counts.splice(child + 1, 0, split.count);
    node.separatorScores.splice(child + 1, 0, split.score);
    node.separatorMembers.splice(child + 1, 0, split.member);
    return node.children.length > this.#capacity ? this.#splitBranch(node) : null;
  }

  #insertIntoLeaf(leaf: Leaf, score: number, member: string): Split | null {
    const position = lowerBound(leaf, score, member);
    leaf.members.splice(position, 0, member);
    leaf.scores.splice(position, 0, score);
    if (leaf.members.length <= this.#capacity) return null;
    // Entries added in ascending or descending order leave full leaves behind them.
    let at = leaf.members.length >>> 1;
    if (position === this.#capacity && leaf.next === null) at = this.#capacity;
    else if (position === 0 && leaf.previous === null) at = 1;
    return this.#splitLeaf(leaf, at);
  }

  #splitLeaf(leaf: Leaf, at: number): Split {
    const right = new Leaf(leaf.members.slice(at), leaf.scores.slice(at));
    leaf.members = leaf.members.slice(0, at);
    leaf.scores = leaf.scores.slice(0, at);
    right.next = leaf.next;
    if (right.next !== null) right.next.previous = right;
    right.previous = leaf;
    leaf.next = right;
    const count = right.members.length;
    return { node: right, count, score: right.scores[0], member: right.members[0] };
  }

  #splitBranch(branch: Branch): Split {
    const at = branch.children.length >>> 1;
    const right = new Branch(
      branch.children.slice(at),
      branch.counts.slice(at),
      branch.separatorScores.slice(at),
      branch.separatorMembers.slice(at),
    );
    const score = right.separatorScores[0];
    const member = right.separatorMembers[0];
    branch.children = branch.children.slice(0, at);
    branch.counts = branch.counts.slice(0, at);
    branch.separatorScores = branch.separatorScores.slice(0, at);
    branch.separatorMembers = branch.separatorMembers.slice(0, at);
    return { node: right, count: sum(right.counts), score, member };
  }

  #removeFrom(node: TreeNode, rank: number): void {
    if (node instanceof Leaf) {
      node.members.splice(rank, 1);
      node.scores.splice(rank, 1);
      return;
    }
    let child = 0;
    let remaining = rank;
    while (remaining >= node.counts[child]) remaining -= node.counts[child++];
    node.counts[child]--;
    this.#removeFrom(node.children[child], remaining);
    this.#refill(node, child);
  }

  /** Removes the entry (score, member) under `node`; returns false when it is not there. */
  #removeKey(node: TreeNode, score: number, member: string): boolean {
    if (node instanceof Leaf) {
      const index = lowerBound(node, score, member);
      if (node.members[index] !== member || node.scores[index] !== score) return false;
      node.members.splice(index, 1);
      node.scores.splice(index, 1);
      return true;
    }
    const child = childFor(node, score, member);
    if (!this.#removeKey(node.children[child], score, member)) return false;
    node.counts[child]--;
    this.#refill(node, child);
    return true;
  }

  /** Rebalances child `child` of `parent` after a removal left it under the minimum. */
  #refill(parent: Branch, child: number): void {
    if (itemCount(parent.children[child]) < this.#minimum && parent.children.length > 1) {
      this.#rebalance(parent, child === 0 ? 0 : child - 1);
    }
  }

  /** Counts one removed entry and drops a root left with a single child. */
  #afterRemoval(): void {
    this.#length--;
    const root = this.#root;
    if (root instanceof Branch && root.children.length === 1) this.#root = root.children[0];
  }

  /** Merges children `left` and `left + 1`, or shares their items evenly when both do not fit. */
  #rebalance(parent: Branch, left: number): void {
    const leftNode = parent.children[left];
    const rightNode = parent.children[left + 1];
    if (leftNode instanceof Leaf && rightNode instanceof Leaf) {
      this.#rebalanceLeaves(parent, left, leftNode, rightNode);
    } else {
      this.#rebalanceBranches(parent, left, leftNode as Branch, rightNode as Branch);
    }
  }

  #rebalanceLeaves(parent: Branch, left: number, leftLeaf: Leaf, rightLeaf: Leaf): void {
    const members = leftLeaf.members.concat(rightLeaf.members);
    const scores = leftLeaf.scores.concat(rightLeaf.scores);
    if (members.length <= this.#capacity) {
      leftLeaf.members = members;
      leftLeaf.scores = scores;
      leftLeaf.next = rightLeaf.next;
      if (leftLeaf.next !== null) leftLeaf.next.previous = leftLeaf;
      this.#dropChild(parent, left);
      return;
    }
    const at = members.length >>> 1;
    leftLeaf.members = members.slice(0, at);
    leftLeaf.scores = scores.slice(0, at);
    rightLeaf.members = members.slice(at);
    rightLeaf.scores = scores.slice(at);
    parent.counts[left] = at;
    parent.counts[left + 1] = members.length - at;
    parent.separatorScores[left + 1] = rightLeaf.scores[0];
    parent.separatorMembers[left + 1] = rightLeaf.members[0];
  }

  #rebalanceBranches(parent: Branch, left: number, leftBranch: Branch, rightBranch: Branch): void {
    const children = leftBranch.children.concat(rightBranch.children);
    const counts = leftBranch.counts.concat(rightBranch.counts);
    const scores = leftBranch.separatorScores.concat(rightBranch.separatorScores);
    const members = leftBranch.separatorMembers.concat(rightBranch.separatorMembers);
    const joint = leftBranch.children.length;
    scores[joint] = parent.separatorScores[left + 1];
    members[joint] = parent.separatorMembers[left + 1];
    if (children.length <= this.#capacity) {
      leftBranch.children = children;
      leftBranch.counts = counts;
      leftBranch.separatorScores = scores;
      leftBranch.separatorMembers = members;
      this.#dropChild(parent, left);
      return;
    }
    const at = children.length >>> 1;
    leftBranch.children = children.slice(0, at);
    leftBranch.counts = counts.slice(0, at);
    leftBranch.separatorScores = scores.slice(0, at);
    leftBranch.separatorMembers = members.slice(0, at);
    rightBranch.children = children.slice(at);
    rightBranch.counts = counts.slice(at);
    rightBranch.separatorScores = scores.slice(at);
    rightBranch.separatorMembers = members.slice(at);
    parent.counts[left] = sum(leftBranch.counts);
    parent.counts[left + 1] = sum(rightBranch.counts);
    parent.separatorScores[left + 1] = scores[at];
    parent.separatorMembers[left + 1] = members[at];
  }

  /** Removes child `left + 1` after its items moved into child `left`. */
  #dropChild(parent: Branch, left: number): void {
    parent.counts[left] += parent.counts[left + 1];
    parent.children.splice(left + 1, 1);
    parent.counts.splice(left + 1, 1);
    parent.separatorScores.splice(left + 1, 1);
    parent.separatorMembers.splice(left + 1, 1);
  }
}
