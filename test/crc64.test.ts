/**
 * The CRC-64 of RDB files and DUMP payloads: Redis's check value, agreement
 * with a bit-by-bit reference for every length around the 8-byte steps, and
 * the same result however the input is split into chunks.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { Crc64, crc64 } from '../src/persistence/crc64';

/** Computes the checksum one bit at a time, straight from the definition. */
function referenceCrc64(bytes: Uint8Array): bigint {
  const reflectedPoly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ reflectedPoly : crc >> 1n;
  }
  return crc;
}

describe('crc64', () => {
  test('check value of 123456789', () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
  });

  test('lengths 0 to 40 match the reference', () => {
    const bytes = crypto.randomBytes(40);
    for (let length = 0; length <= 40; length++) {
      const part = bytes.subarray(0, length);
      assert.equal(crc64(part), referenceCrc64(part), `length ${length}`);
    }
  });

  test('chunked updates match one pass', () => {
    const bytes = crypto.randomBytes(10_000);
    const whole = crc64(bytes);
    assert.equal(whole, referenceCrc64(bytes));
    for (const size of [1, 3, 7, 8, 9, 1000]) {
      const running = new Crc64();
      for (let at = 0; at < bytes.length; at += size) running.update(bytes.subarray(at, at + size));
      assert.equal(running.value(), whole, `chunks of ${size}`);
    }
  });
});
