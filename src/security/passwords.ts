import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of a password, as hex: the only form in which passwords are kept. */
export function hashPassword(password: string): string {
  return createHash('sha256').update(password, 'latin1').digest('hex');
}

/** Compares a password with a stored hash in constant time. */
export function passwordMatches(password: string, storedHash: string): boolean {
  const given = Buffer.from(hashPassword(password), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
