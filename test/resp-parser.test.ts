import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  RespParser,
  splitInlineArguments,
  UNAUTHENTICATED_LIMITS,
  type ParserLimits,
} from '../src/protocol/resp/parser';

const LIMITS: ParserLimits = {
  maxBulkLength: 512 * 1024 * 1024,
  maxArguments: 1024 * 1024,
  maxInlineLength: 64 * 1024,
};

interface Outcome {
  requests: string[][];
  error: string | null;
}

/** Feeds `input` in the given chunk sizes and collects every request and the error, if any. */
function parse(input: Buffer, chunkSize = input.length, limits = LIMITS): Outcome {
  const parser = new RespParser(limits);
  const requests: string[][] = [];
  const step = Math.max(1, chunkSize);
  for (let offset = 0; offset < input.length; offset += step) {
    parser.feed(input.subarray(offset, offset + step));
    for (let request = parser.next(); request !== null; request = parser.next()) {
      if (request.length > 0) requests.push(request);
    }
    if (parser.error !== null) break;
  }
  return { requests, error: parser.error };
}

function encode(args: readonly string[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg, 'latin1')}\r\n${arg}\r\n`;
  return Buffer.from(text, 'latin1');
}

/** Parses whole and one byte at a time; both must agree. */
function parseBothWays(input: Buffer): Outcome {
  const whole = parse(input);
  const byByte = parse(input, 1);
  assert.deepEqual(byByte, whole);
  return whole;
}

describe('RESP parser', () => {
  it('parses multibulk requests whole and byte by byte', () => {
    const input = Buffer.concat([encode(['SET', 'k', 'v']), encode(['GET', 'k'])]);
    assert.deepEqual(parseBothWays(input).requests, [
      ['SET', 'k', 'v'],
      ['GET', 'k'],
    ]);
  });

  it('keeps binary bytes of arguments', () => {
    const value = '\x00\xff\r\n\x80';
    assert.deepEqual(parseBothWays(encode(['SET', 'k', value])).requests, [['SET', 'k', value]]);
  });

  it('parses inline requests with quotes and escapes', () => {
    const input = Buffer.from('SET "a b" \'c\\\'d\' "\\x41\\n"\r\nPING\n', 'latin1');
    assert.deepEqual(parseBothWays(input).requests, [['SET', 'a b', "c'd", 'A\n'], ['PING']]);
  });

  it('skips empty inline lines and zero-length multibulk', () => {
    const input = Buffer.from('\r\n\r\n*0\r\n*1\r\n$4\r\nPING\r\n', 'latin1');
    assert.deepEqual(parseBothWays(input).requests, [['PING']]);
  });

  it('rejects an unbalanced quote', () => {
    assert.equal(
      parseBothWays(Buffer.from('SET "a b\r\n')).error,
      'ERR Protocol error: unbalanced quotes in request',
    );
  });

  it('rejects a closing quote followed by a letter', () => {
    assert.equal(splitInlineArguments('"a"b'), null);
  });

  const invalid: [string, string][] = [
    ['*abc\r\n', 'invalid multibulk length'],
    ['*2\r\n$4\r\nECHO\r\n$-1\r\n', 'invalid bulk length'],
    ['*2\r\n$4\r\nECHO\r\n$-7\r\n', 'invalid bulk length'],
    ['*1\r\n$abc\r\n', 'invalid bulk length'],
    ['*2\r\n$4\r\nECHO\r\n$99999999999\r\n', 'invalid bulk length'],
    ['*1\r\n+PING\r\n', "expected '$', got '+'"],
    ['*1\r\n$4 \r\nPING\r\n', 'invalid bulk length'],
    ['*1\r\n$+4\r\nPING\r\n', 'invalid bulk length'],
    ['*1\r\n$04\r\nPING\r\n', 'invalid bulk length'],
    ['*01\r\n$4\r\nPING\r\n', 'invalid multibulk length'],
    ['*-0\r\n', 'invalid multibulk length'],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.equal(parseBothWays(Buffer.from(input)).error, `ERR Protocol error: ${message}`);
    });
  }

  it('waits for a CR to end a header, as Redis does', () => {
    assert.deepEqual(parseBothWays(Buffer.from('*1\n$4\nPING\n')), {
      requests: [],
      error: null,
    });
    assert.equal(
      parseBothWays(Buffer.from('*1\n$4\nPING\r\n')).error,
      'ERR Protocol error: invalid multibulk length',
    );
  });

  it('skips the byte after a header CR whatever it is', () => {
    const input = Buffer.from('*1\rx$4\rxPING\r\n', 'latin1');
    assert.deepEqual(parseBothWays(input).requests, [['PING']]);
  });

  it('rejects an inline request longer than the limit', () => {
    const outcome = parse(Buffer.alloc(70 * 1024, 'a'), 4096);
    assert.equal(outcome.error, 'ERR Protocol error: too big inline request');
  });

  it('serves a long inline request that arrives whole', () => {
    const line = `ECHO ${'x'.repeat(70 * 1024)}\r\n`;
    const outcome = parse(Buffer.from(line));
    assert.equal(outcome.error, null);
    assert.equal(outcome.requests[0][1].length, 70 * 1024);
  });

  it('rejects a header line without end past the limit', () => {
    const outcome = parse(Buffer.from(`*${'1'.repeat(70 * 1024)}`), 4096);
    assert.equal(outcome.error, 'ERR Protocol error: too big mbulk count string');
  });

  it('applies the unauthenticated limits', () => {
    const limits = UNAUTHENTICATED_LIMITS;
    const many = parse(Buffer.from('*1048576\r\n'), 100, limits);
    assert.equal(many.error, 'ERR Protocol error: invalid multibulk length');
    const big = parse(Buffer.from('*1\r\n$100000\r\n'), 100, limits);
    assert.equal(big.error, 'ERR Protocol error: invalid bulk length');
  });

  it('uses the unauthenticated texts when told the client is not authenticated', () => {
    const parser = new RespParser(UNAUTHENTICATED_LIMITS);
    parser.authenticated = false;
    parser.feed(Buffer.from('*11\r\n'));
    assert.equal(parser.next(), null);
    assert.equal(parser.error, 'ERR Protocol error: unauthenticated multibulk length');
  });

  it('does not allocate what a bulk header announces', () => {
    const parser = new RespParser(LIMITS);
    parser.feed(Buffer.from('*1\r\n$500000000\r\nabc'));
    assert.equal(parser.next(), null);
    assert.equal(parser.error, null);
    assert.ok(parser.buffered < 100, `buffered ${parser.buffered} bytes`);
  });

  it('assembles a large bulk from many chunks', () => {
    const value = 'x'.repeat(300_000);
    const outcome = parse(encode(['SET', 'k', value]), 1000);
    assert.equal(outcome.requests.length, 1);
    assert.equal(outcome.requests[0][2].length, value.length);
  });

  it('parses random requests the same for any split', () => {
    const argument = fc.string({ unit: 'binary-ascii', maxLength: 40 });
    const request = fc.array(argument, { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 5 }),
        fc.nat(64),
        (requests, split) => {
          const input = Buffer.concat(requests.map(encode));
          const outcome = parse(input, split + 1);
          assert.equal(outcome.error, null);
          assert.deepEqual(outcome.requests, requests);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns repeated command names as sent', () => {
    const names = ['SET', 'set', 'GET', 'SETEX', 'SE', '', 'S\xffT', 'S\x00T', 'MGET', 'HSET'];
    const longNames = ['X'.repeat(32), 'X'.repeat(33), `${'X'.repeat(32)}Y`];
    const name = fc.constantFrom(...names, ...longNames);
    const rest = fc.array(fc.string({ unit: 'binary-ascii', maxLength: 8 }), { maxLength: 3 });
    const request = fc.tuple(name, rest).map(([first, others]) => [first, ...others]);
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 30 }),
        fc.nat(40),
        (requests, split) => {
          const outcome = parse(Buffer.concat(requests.map(encode)), split + 1);
          assert.equal(outcome.error, null);
          assert.deepEqual(outcome.requests, requests);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses requests with many arguments', () => {
    for (const count of [64, 65, 300]) {
      const request = Array.from({ length: count }, (_, index) => `a${index}`);
      const outcome = parseBothWays(Buffer.concat([encode(request), encode(['PING'])]));
      assert.equal(outcome.error, null);
      assert.deepEqual(outcome.requests, [request, ['PING']]);
    }
  });

  it('never throws on hostile input and always ends in requests or one error', () => {
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .array(fc.constantFrom('*', '$', '-1', '99999999999', '\r\n', '\n', '"', 'a', '0', '*3'))
        .map((parts) => new TextEncoder().encode(parts.join(''))),
    );
    fc.assert(
      fc.property(hostile, fc.nat(16), (bytes, split) => {
        const input = Buffer.from(bytes);
        const outcome = parse(input, split + 1);
        if (outcome.error !== null) assert.match(outcome.error, /^ERR Protocol error: /);
      }),
      { numRuns: 2000 },
    );
  });
});
