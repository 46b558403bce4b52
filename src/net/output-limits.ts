/**
 * `client-output-buffer-limit`: per client class, a hard limit in bytes of
 * replies waiting to be sent, and a soft limit that may be exceeded for at
 * most a number of seconds. A client past either is disconnected, so a client
 * that does not read cannot make the server's memory grow without bound.
 */
import { parseMemory } from '../config/memory';

export type ClientClass = 'normal' | 'replica' | 'pubsub';

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export type OutputLimits = Record<ClientClass, OutputLimit>;

const CLASS_ALIASES: Record<string, ClientClass> = {
  normal: 'normal',
  replica: 'replica',
  slave: 'replica',
  pubsub: 'pubsub',
};

/** Parses "class hard soft seconds" groups; returns null when the text is invalid. */
export function parseOutputLimits(text: string, current?: OutputLimits): OutputLimits | null {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length % 4 !== 0) return null;
  const limits: OutputLimits = current
    ? {
        normal: { ...current.normal },
        replica: { ...current.replica },
        pubsub: { ...current.pubsub },
      }
    : {
        normal: { hard: 0, soft: 0, softSeconds: 0 },
        replica: { hard: 0, soft: 0, softSeconds: 0 },
        pubsub: { hard: 0, soft: 0, softSeconds: 0 },
      };
  for (let i = 0; i < words.length; i += 4) {
    const kind = CLASS_ALIASES[words[i].toLowerCase()];
    const hard = parseMemory(words[i + 1]);
    const soft = parseMemory(words[i + 2]);
    const softSeconds = Number(words[i + 3]);
    if (kind === undefined || !(hard >= 0) || !(soft >= 0)) return null;
    if (!Number.isInteger(softSeconds) || softSeconds < 0) return null;
    limits[kind] = { hard, soft, softSeconds };
  }
  return limits;
}

export function formatOutputLimits(limits: OutputLimits): string {
  return (['normal', 'replica', 'pubsub'] as const)
    .map((kind) => {
      const limit = limits[kind];
      const name = kind === 'replica' ? 'slave' : kind;
      return `${name} ${limit.hard} ${limit.soft} ${limit.softSeconds}`;
    })
    .join(' ');
}

/** Tracks how long one client has been over its soft limit. */
export class OutputLimitCheck {
  #softSince = 0;

  /** Returns true when a client with `pending` bytes queued must be disconnected. */
  exceeded(limit: OutputLimit, pending: number, now: number): boolean {
    if (limit.hard > 0 && pending >= limit.hard) return true;
    if (limit.soft === 0 || pending < limit.soft) {
      this.#softSince = 0;
      return false;
    }
    if (this.#softSince === 0) this.#softSince = now;
    return now - this.#softSince > limit.softSeconds * 1000;
  }
}
