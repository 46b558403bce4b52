/**
 * ACL LOG: the most recent denials (commands, keys, channels, failed
 * authentications), newest first. Entries that repeat within a minute are
 * grouped into one entry with a count, as in Redis.
 */

/** Denials alike within this many ms are counted in one entry. */
const GROUPING_WINDOW_MS = 60_000;

export type DenialReason = 'command' | 'key' | 'channel' | 'auth';
export type DenialContext = 'toplevel' | 'multi' | 'lua';

export interface AclLogEntry {
  count: number;
  readonly reason: DenialReason;
  readonly context: DenialContext;
  /** The command, key, channel, or "auth" that was denied. */
  readonly object: string;
  readonly username: string;
  readonly createdAt: number;
  updatedAt: number;
  /** CLIENT LIST line of the client at its latest denial. */
  clientInfo: string;
  readonly entryId: number;
}

export interface Denial {
  reason: DenialReason;
  context: DenialContext;
  object: string;
  username: string;
  clientInfo: string;
}

export class AclLog {
  /** Newest first. */
  entries: AclLogEntry[] = [];
  #nextId = 0;

  /** Adds a denial, or counts it in a matching recent entry; keeps at most `maxLength`. */
  add(denial: Denial, now: number, maxLength: number): void {
    const index = this.entries.findIndex((entry) => matches(entry, denial, now));
    if (index >= 0) {
      const entry = this.entries[index];
      entry.count++;
      entry.updatedAt = now;
      entry.clientInfo = denial.clientInfo;
      this.entries.splice(index, 1);
      this.entries.unshift(entry);
    } else {
      this.entries.unshift({
        ...denial,
        count: 1,
        createdAt: now,
        updatedAt: now,
        entryId: this.#nextId++,
      });
    }
    if (this.entries.length > maxLength) this.entries.length = maxLength;
  }

  reset(): void {
    this.entries = [];
  }
}

function matches(entry: AclLogEntry, denial: Denial, now: number): boolean {
  return (
    now - entry.updatedAt <= GROUPING_WINDOW_MS &&
    entry.reason === denial.reason &&
    entry.context === denial.context &&
    entry.object === denial.object &&
    entry.username === denial.username
  );
}
