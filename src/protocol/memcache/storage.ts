/**
 * Storage semantics (what a store does to an item), shared by the text commands (set,
 * add, replace, append, prepend, cas) and the meta set command `ms`.
 */
import { asBinary } from '../../store/types';
import { KEEP_TTL, type ItemMeta, type ItemStore } from './items';
import { expiryFromExptime } from './numbers';

export type StoreMode = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';
export type StoreResult = 'STORED' | 'NOT_STORED' | 'EXISTS' | 'NOT_FOUND';

export interface StoreRequest {
  key: string;
  mode: StoreMode;
  flags: number;
  /** The expiry time as sent (seconds, or a Unix time), already cut to 32 bits. */
  exptime: number;
  data: string;
  /** The CAS value to compare, or null when none was sent. */
  cas: bigint | null;
  /** `ms ... I`: a CAS value lower than the item's stores the data marked stale. */
  staleIfOlder: boolean;
  binaryKey: boolean;
}

export interface StoreOutcome {
  result: StoreResult;
  /** The stored item, when the result is STORED. */
  meta?: ItemMeta;
}

/** Returns the bytes memcached 1.6 charges an item against its size limit: header, CAS, key. */
export function itemSize(keyLength: number, flags: number, valueLength: number): number {
  return 48 + 8 + keyLength + 1 + valueLength + 2 + (flags !== 0 ? 4 : 0);
}

/** Checks whether a CAS value sent by a client equals an item's. */
export function casMatches(meta: ItemMeta, cas: bigint): boolean {
  return cas <= BigInt(Number.MAX_SAFE_INTEGER) && Number(cas) === meta.cas;
}

/** Carries out one storage request, as memcached's do_store_item does. */
export function storeItem(store: ItemStore, request: StoreRequest, now: number): StoreOutcome {
  const key = request.key;
  switch (request.mode) {
    case 'set':
      store.expireIfDue(key);
      return storeNew(store, request, now);
    case 'add':
      if (store.occupied(key)) return { result: 'NOT_STORED' };
      return storeNew(store, request, now);
    case 'replace':
      if (store.find(key, now) === undefined) return { result: 'NOT_STORED' };
      return storeNew(store, request, now);
    case 'append':
    case 'prepend':
      return concatenate(store, request, store.find(key, now), now);
    case 'cas':
      return compareAndStore(store, request, store.find(key, now), now);
  }
}

function storeNew(store: ItemStore, request: StoreRequest, now: number): StoreOutcome {
  const expiry = expiryFromExptime(request.exptime, now);
  const meta = store.store(request.key, request.data, request.flags, expiry, now);
  meta.binaryKey = request.binaryKey;
  return { result: 'STORED', meta };
}

/** append and prepend keep the item's flags and expiry; a CAS value other than 0 must match. */
function concatenate(
  store: ItemStore,
  request: StoreRequest,
  existing: ItemMeta | undefined,
  now: number,
): StoreOutcome {
  if (existing === undefined) return { result: 'NOT_STORED' };
  if (request.cas !== null && request.cas !== 0n && !casMatches(existing, request.cas)) {
    return { result: 'EXISTS' };
  }
  const old = asBinary(existing.value);
  const append = request.mode === 'append';
  const value = append ? old + request.data : request.data + old;
  store.update(request.key, existing, value, append ? 'append' : 'set', now);
  // memcached stores the joined value as a new item, without the stale mark or win token.
  existing.stale = false;
  existing.tokenSent = false;
  return { result: 'STORED', meta: existing };
}

function compareAndStore(
  store: ItemStore,
  request: StoreRequest,
  existing: ItemMeta | undefined,
  now: number,
): StoreOutcome {
  if (existing === undefined) return { result: 'NOT_FOUND' };
  const cas = request.cas ?? 0n;
  if (casMatches(existing, cas)) return storeNew(store, request, now);
  if (!request.staleIfOlder || BigInt(existing.cas) < cas) return { result: 'EXISTS' };
  // A stale store keeps the item's expiry and win token, and marks it stale.
  const meta = store.store(request.key, request.data, request.flags, KEEP_TTL, now);
  meta.stale = true;
  meta.tokenSent = existing.tokenSent;
  meta.binaryKey = request.binaryKey;
  return { result: 'STORED', meta };
}
