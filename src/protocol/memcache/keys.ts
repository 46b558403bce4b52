/** Memcached key rules and the meta protocol's base64 keys. */

/** memcached's KEY_MAX_LENGTH. */
export const MAX_KEY_LENGTH = 250;

/**
 * Checks that a key token is a valid key: at most 250 bytes and no control
 * characters. Spaces cannot occur because they separate tokens. memcached
 * 1.6.18 accepts control characters in keys; Damselfly rejects them.
 */
export function isValidKey(key: string): boolean {
  if (key.length > MAX_KEY_LENGTH) return false;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

const BASE64_VALUE = new Int16Array(128).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < ALPHABET.length; i++) BASE64_VALUE[ALPHABET.charCodeAt(i)] = i;

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? BASE64_VALUE[code] : -1;
}

/**
 * Decodes a base64 key (the `b` meta flag) to a byte string, as memcached
 * does: groups of four characters with `=` padding, decoding stops after a
 * padded group, and a group cut short or an invalid character fails.
 * Returns null on failure or when the key decodes to nothing.
 */
export function decodeBase64Key(text: string): string | null {
  let out = '';
  for (let i = 0; i + 4 <= text.length; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    if (a < 0 || b < 0) return null;
    out += String.fromCharCode((a << 2) | (b >> 4));
    const third = text[i + 2];
    const fourth = text[i + 3];
    if (third === '=') return fourth === '=' ? out : null;
    const c = sextet(text, i + 2);
    if (c < 0) return null;
    out += String.fromCharCode(((b & 15) << 4) | (c >> 2));
    if (fourth === '=') return out;
    const d = sextet(text, i + 3);
    if (d < 0) return null;
    out += String.fromCharCode(((c & 3) << 6) | d);
  }
  if (text.length % 4 !== 0 || out === '') return null;
  return out;
}

/** Encodes a byte-string key as base64 with padding. */
export function encodeBase64Key(key: string): string {
  return Buffer.from(key, 'latin1').toString('base64');
}
