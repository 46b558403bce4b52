/**
 * The Memcached port compared with memcached 1.6 byte for byte: each case
 * sends the same byte stream on a new connection to Damselfly and to a
 * reference memcached (both emptied first) and compares everything received,
 * including a closed connection. CAS values and idle times are normalized.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  exchange,
  MemcacheLineClient,
  normalizeFigures,
  startDamselflyWithMemcached,
  waitForPort,
} from './memcache-support';
import { formatBytes } from './support/bytes';
import { memcachedSkipReason, startMemcached } from './support/servers';

const KEY_250 = 'k'.repeat(250);
const KEY_251 = 'k'.repeat(251);
const ITEM_MAX = 1024 * 1024;
/** A value size below ITEM_MAX for replies of several megabytes. */
const LARGE = 700_000;
/** Silence that ends a case's output. */
const QUIET_MS = 100;
/** Silence that ends the output of a reply of megabytes, which may pause on a busy machine. */
const LARGE_QUIET_MS = 500;

/**
 * [case name, byte stream, bytes sent first on a connection of their own,
 * silence in ms that ends the output when QUIET_MS is too short].
 */
type Case = readonly [string, string, string?, number?];

const STORAGE_CASES: Case[] = [
  ['set then get', 'set k1 3 0 2\r\nhi\r\nget k1\r\n'],
  ['data longer than header', 'set k1 0 0 4\r\nabcdef\r\nget k1\r\n'],
  ['data shorter than header', 'set k1 0 0 4\r\nabc\r\n\r\nget k1\r\n'],
  ['data without CRLF', 'set k1 0 0 2\r\nabXYget k1\r\n'],
  ['bad chunk with noreply', 'set k1 0 0 4 noreply\r\nabcdef\r\nget k1\r\n'],
  ['second set replaces flags', 'set k 5 0 1\r\na\r\nset k 9 0 1\r\nb\r\nget k\r\n'],
  [
    'append and prepend keep flags',
    'set k 7 0 1\r\nb\r\nappend k 1 0 1\r\nc\r\nprepend k 2 0 1\r\na\r\nget k\r\n',
  ],
  ['append to missing key', 'append zz 0 0 1\r\nx\r\nprepend zz 0 0 1\r\nx\r\nget zz\r\n'],
  [
    'add existing and new',
    'set a 0 0 1\r\n1\r\nadd a 0 0 1\r\n2\r\nadd b 0 0 1\r\n3\r\nget a b\r\n',
  ],
  [
    'replace missing and existing',
    'replace r 0 0 1\r\n1\r\nset r 0 0 1\r\n2\r\nreplace r 4 0 1\r\n3\r\nget r\r\n',
  ],
  ['cas on missing key', 'cas zz 0 0 1 1\r\nx\r\n'],
  ['cas with a wrong value', 'set c 0 0 1\r\nx\r\ncas c 0 0 1 999999\r\ny\r\nget c\r\n'],
  ['negative flags', 'set k -1 0 1\r\nx\r\nget k\r\n'],
  ['flags over 32 bits wrap', 'set k 4294967297 0 1\r\nx\r\nget k\r\n'],
  ['largest flags', 'set k 4294967295 0 1\r\nx\r\nget k\r\n'],
  ['flags beyond 64 bits', 'set k 99999999999999999999 0 1\r\nx\r\n'],
  ['plus sign accepted', 'set k +5 0 +1\r\nx\r\nget k\r\n'],
  ['bad exptime', 'set k 0 abc 1\r\nx\r\n'],
  ['negative length', 'set k 0 0 -1\r\nx\r\n'],
  ['length over INT_MAX - 2', 'set k 0 0 2147483647\r\nx\r\n'],
  ['too few tokens', 'set k 0 0\r\nx\r\n'],
  ['too many tokens', 'set k 0 0 1 noreply extra\r\nx\r\n'],
  ['sixth token not noreply', 'set k 0 0 1 5\r\nx\r\nget k\r\n'],
  ['uppercase command', 'SET k 0 0 1\r\nx\r\n'],
  ['LF line ends', 'set k 0 0 1\nx\r\nget k\n'],
  ['negative exptime expires', 'set k 0 -1 1\r\nx\r\nget k\r\n'],
  ['past absolute exptime', 'set k 0 2592001 1\r\nx\r\nget k\r\n'],
  ['exptime cut to 32 bits', 'set k 0 9999999999999 1\r\nx\r\nget k\r\n'],
  ['empty value', 'set e 0 0 0\r\n\r\nget e\r\n'],
  ['binary value', 'set b 0 0 6\r\n\x00\r\n\xff\n\r\r\nget b\r\n'],
  ['key of 250 bytes', `set ${KEY_250} 0 0 1\r\nx\r\nget ${KEY_250}\r\n`],
  ['set key of 251 bytes', `set ${KEY_251} 0 0 1\r\nx\r\n`],
  [
    'item at the size limit',
    `set k 0 0 ${ITEM_MAX - 60}\r\n${'v'.repeat(ITEM_MAX - 60)}\r\nmg k s\r\n`,
  ],
  ['item over the size limit', `set k 0 0 ${ITEM_MAX}\r\n${'v'.repeat(ITEM_MAX)}\r\nget k\r\n`],
  [
    'too large set drops old item',
    `set k 0 0 1\r\nx\r\nset k 0 0 ${ITEM_MAX}\r\n${'v'.repeat(ITEM_MAX)}XXget k\r\n`,
  ],
  [
    'too large with noreply',
    `set k 0 0 ${ITEM_MAX} noreply\r\n${'v'.repeat(ITEM_MAX)}\r\nget k\r\n`,
  ],
];

const NOREPLY_CASES: Case[] = [
  [
    'set add replace noreply',
    'set n 0 0 1 noreply\r\n1\r\nadd n 0 0 1 noreply\r\n2\r\nreplace n 0 0 1 noreply\r\n3\r\nget n\r\n',
  ],
  [
    'append prepend noreply',
    'set n 0 0 1\r\n1\r\nappend n 0 0 1 noreply\r\n2\r\nprepend n 0 0 1 noreply\r\n0\r\nget n\r\n',
  ],
  ['cas noreply', 'set n 0 0 1\r\n1\r\ncas n 0 0 1 1 noreply\r\n2\r\nget n\r\n'],
  ['incr decr noreply', 'set n 0 0 2\r\n10\r\nincr n 5 noreply\r\ndecr n 3 noreply\r\nget n\r\n'],
  [
    'touch delete noreply',
    'set n 0 0 1\r\n1\r\ntouch n 100 noreply\r\ndelete n noreply\r\nget n\r\n',
  ],
  ['flush_all noreply', 'set n 0 0 1\r\n1\r\nflush_all noreply\r\nget n\r\n'],
  [
    'noreply silences client errors',
    'set k abc 0 1 noreply\r\nx\r\nincr k abc noreply\r\nversion\r\n',
  ],
  ['verbosity noreply', 'verbosity 1 noreply\r\nverbosity 1\r\n'],
];

const RETRIEVAL_CASES: Case[] = [
  ['get without key', 'get\r\n'],
  ['get several keys', 'set a 1 0 1\r\nA\r\nget a zz a\r\n'],
  ['gets shows a cas value', 'set a 1 0 1\r\nA\r\ngets a\r\n'],
  ['get key of 251 bytes', `get ${KEY_251}\r\n`],
  // memcached also drops the replies of earlier commands in the same read; that is not compared.
  [
    'get drops entries before a long key',
    `get a ${KEY_251} a\r\nversion\r\n`,
    'set a 0 0 1\r\nA\r\n',
  ],
  ['extra spaces between keys', 'set a 0 0 1\r\nA\r\nget  a   a  \r\n'],
  // Three copies of a 700 KB item make a reply of more than 2 MB.
  [
    'get with a reply over 2 MB',
    'get a a a\r\n',
    `set a 0 0 ${LARGE}\r\n${'L'.repeat(LARGE)}\r\n`,
    LARGE_QUIET_MS,
  ],
  [
    'long key drops a reply over 2 MB',
    `get a a a ${KEY_251} a\r\nversion\r\n`,
    `set a 0 0 ${LARGE}\r\n${'L'.repeat(LARGE)}\r\n`,
    LARGE_QUIET_MS,
  ],
  ['gat and gats', 'set t 0 0 1\r\nx\r\ngat 100 t zz t\r\ngats 100 t\r\nmg t t\r\n'],
  ['gat with bad exptime', 'gat abc t\r\n'],
  ['gat without keys', 'gat 10\r\n'],
  ['gat negative expires after reply', 'set t 0 0 1\r\nx\r\ngat -1 t\r\nget t\r\n'],
  [
    'touch',
    'set t 0 0 1\r\nx\r\ntouch t 100\r\ntouch zz 1\r\ntouch t abc\r\ntouch t\r\nmg t t\r\n',
  ],
  ['touch extra token', 'set t 0 0 1\r\nx\r\ntouch t 100 x\r\ntouch t 100 noreply x\r\n'],
  ['touch key of 251 bytes', `touch ${KEY_251} 1\r\n`],
  ['delete', 'set d 0 0 1\r\nx\r\ndelete d\r\ndelete d\r\n'],
  ['delete with hold time 0', 'set d 0 0 1\r\nx\r\ndelete d 0\r\n'],
  ['delete with other hold time', 'delete d 5\r\ndelete d x y\r\n'],
  ['delete key of 251 bytes', `delete ${KEY_251}\r\n`],
];

const ARITHMETIC_CASES: Case[] = [
  // A get after a decr that shortened the number is not compared: memcached pads it with spaces.
  ['incr and decr', 'set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 3\r\ndecr n 100\r\n'],
  ['incr to a longer number', 'set n 0 0 1\r\n9\r\nincr n 1\r\nget n\r\n'],
  ['incr wraps at 2^64', 'set n 0 0 20\r\n18446744073709551615\r\nincr n 2\r\n'],
  ['incr largest delta', 'set n 0 0 1\r\n5\r\nincr n 18446744073709551615\r\n'],
  ['incr missing key', 'incr zz 1\r\ndecr zz 1\r\n'],
  ['incr non-numeric', 'set n 0 0 3\r\nabc\r\nincr n 1\r\ndecr n 1\r\n'],
  ['incr value over 64 bits', 'set n 0 0 20\r\n18446744073709551616\r\nincr n 1\r\n'],
  [
    'incr value with spaces',
    'set n 0 0 3\r\n 12\r\nincr n 2\r\nset m 0 0 5\r\n5 abc\r\nincr m 1\r\n',
  ],
  ['incr negative value', 'set n 0 0 3\r\n-12\r\nincr n 2\r\n'],
  ['incr empty value', 'set n 0 0 0\r\n\r\nincr n 1\r\n'],
  [
    'invalid deltas',
    'set n 0 0 1\r\n5\r\nincr n abc\r\nincr n -1\r\nincr n 18446744073709551616\r\nincr n 0x3\r\n',
  ],
  ['incr keeps flags', 'set n 7 0 1\r\n5\r\nincr n 10\r\nget n\r\n'],
  ['incr token counts', 'incr\r\nincr n\r\nincr n 1 x\r\nincr n 1 noreply x\r\n'],
  ['incr key of 251 bytes', `incr ${KEY_251} 1\r\n`],
];

const OTHER_CASES: Case[] = [
  ['unknown command', 'foo\r\nab\r\nx\r\n\r\n'],
  ['version', 'version\r\nversion x\r\n'],
  ['verbosity', 'verbosity\r\nverbosity 1\r\nverbosity abc\r\nverbosity 1 2 3\r\n'],
  ['flush_all', 'set f 0 0 1\r\nx\r\nflush_all\r\nget f\r\n'],
  [
    'flush_all arguments',
    'flush_all 0\r\nflush_all -1\r\nflush_all abc\r\nflush_all 0 0\r\nflush_all 1 2 3\r\n',
  ],
  [
    'flush_all with delay keeps items',
    'set f 0 0 1\r\nx\r\nflush_all 100\r\nget f\r\nflush_all 0\r\n',
  ],
  ['quit closes', 'quit\r\nget a\r\n'],
  ['shutdown refused', 'shutdown\r\n'],
  ['stats unknown group', 'stats foo\r\n'],
  ['stats reset', 'stats reset\r\n'],
  ['stats detail', 'stats detail\r\nstats detail on\r\nstats detail dump\r\n'],
  ['stats sizes', 'stats sizes\r\n'],
  ['HTTP request closes', 'GET / HTTP/1.1\r\nversion\r\n'],
  ['long line closes', 'x'.repeat(3000)],
  ['long line that arrives whole', `${'x'.repeat(5000)}\r\n`],
  ['long get line waits', `get ${'a'.repeat(5000)}`],
  ['long key in set line', `set ${'a'.repeat(3000)} 0 0 1\r\nx\r\n`],
  ['redis command on memcached port', '*1\r\n$4\r\nPING\r\nPING\r\n'],
];

const META_CASES: Case[] = [
  [
    'append and prepend clear the fetched and stale marks',
    'set k 0 0 1\r\na\r\nmg k v\r\nappend k 0 0 1\r\nb\r\nmg k h\r\n' +
      'set j 0 0 1\r\na\r\nmd j I\r\nappend j 0 0 1\r\nb\r\nmg j v c\r\nmg j v\r\n' +
      'set p 0 0 1\r\na\r\nmd p I\r\nms p 1 MA\r\nb\r\nmg p v\r\nmg p v\r\n' +
      'set q 0 0 1\r\na\r\nmd q I\r\nprepend q 0 0 1\r\nb\r\nmg q v\r\n',
  ],
  ['incr clears the fetched mark', 'set n 0 0 1\r\n1\r\nmg n v\r\nincr n 1\r\nmg n h\r\n'],
  ['mg size value flags', 'set k1 3 0 2\r\nhi\r\nmg k1 s v f\r\n'],
  ['mg without flags', 'set k1 0 0 2\r\nhi\r\nmg k1\r\nmg zz\r\n'],
  ['mg quiet with mn', 'set k1 0 0 2\r\nhi\r\nmg zz q\r\nmg k1 q v\r\nmn\r\n'],
  ['mg key and opaque', 'set k1 0 0 2\r\nhi\r\nmg k1 O123 k v\r\nmg zz O9 k\r\n'],
  ['mg ttl and touch', 'set k1 0 0 2\r\nhi\r\nmg k1 t\r\nmg k1 T30 t\r\n'],
  ['mg hit and last access', 'set k1 0 0 2\r\nhi\r\nmg k1 h l\r\nmg k1 h\r\nmg k1 u h\r\n'],
  ['mg vivify wins then loses', 'mg nk N30 t v s f\r\nmg nk N30 t v\r\n'],
  ['mg recache token', 'set r 0 100 1\r\nx\r\nmg r R30 v\r\nmg r R300 v\r\nmg r R300 v\r\n'],
  ['mg flag errors', 'mg k1 x\r\nmg k1 v v\r\nmg k1 T\r\nmg k1 Tabc\r\nmg k1 E5\r\nmg\r\n'],
  [
    'mg opaque too long',
    `set k1 0 0 1\r\nx\r\nmg k1 O${'a'.repeat(40)}\r\nmg zz O${'a'.repeat(40)}\r\n`,
  ],
  ['mg ignored tokens', 'set k1 0 0 1\r\nx\r\nmg k1 P L v\r\nmg k1 Pfoo Lbar v\r\n'],
  ['mg key of 251 bytes', `mg ${KEY_251} v\r\n`],
  ['mg too many flags', `mg k ${'P '.repeat(18)}\r\n`],
  ['ms modes', 'ms m 2\r\nhi\r\nms m 2 MA\r\nXY\r\nms m 2 MP F9\r\nAB\r\nmg m v f\r\n'],
  ['ms add and replace', 'ms m 2 ME\r\nXY\r\nms m 2 ME\r\nZZ\r\nms n 2 MR\r\nXY\r\nmg m v\r\n'],
  ['ms flags and ttl', 'ms m 2 F5 T100\r\nhi\r\nmg m v f t\r\n'],
  ['ms append to missing', 'ms zz 2 MA\r\nXY\r\nms zz 2 MA N30\r\nXY\r\n'],
  ['ms quiet', 'ms m 2 q\r\nhi\r\nms m 2 MS q\r\nXY\r\nmn\r\n'],
  ['ms cas mismatch', 'ms m 2\r\nhi\r\nms m 2 C1\r\nXY\r\nms m 2 C1 q\r\nXY\r\n'],
  ['ms bad modes', 'ms m 2 MX\r\nXY\r\nms m 2 M\r\nXY\r\nms m 2 Ms\r\nXY\r\n'],
  ['ms bad lengths', 'ms m\r\nXY\r\nms m abc\r\nXY\r\nms m -1\r\nXY\r\n'],
  [
    'ms bad flag tokens',
    'ms m 2 Fabc\r\nXY\r\nms m 2 F-1\r\nXY\r\nms m 2 Tabc\r\nXY\r\nms m 2 x\r\nXY\r\n',
  ],
  ['ms bad data chunk', 'ms m 2\r\nXYZ\r\nms m 2 q\r\nXYZ\r\n'],
  ['ms negative ttl', 'ms m 2 T-1\r\nXY\r\nmg m v\r\n'],
  ['ms return flags', 'ms m 2 k O1 c s t f v\r\nXY\r\n'],
  ['ms too large', `ms m ${ITEM_MAX}\r\n${'v'.repeat(ITEM_MAX)}\r\nmn\r\n`],
  ['md', 'set d 0 0 1\r\nx\r\nmd d\r\nmd d\r\nmd d q\r\nmn\r\n'],
  ['md quiet hides only HD', 'set d 0 0 1\r\nx\r\nmd d q\r\nmd d q\r\nmn\r\n'],
  ['md invalidate', 'set d 0 0 1\r\nx\r\nmd d I T30\r\nmg d v t\r\nmg d v t\r\n'],
  ['md flag errors', 'md d C1\r\nmd d Cabc\r\nmd d x\r\nmd d 0\r\nmd d noreply\r\n'],
  ['md key and opaque', 'set d 0 0 1\r\nx\r\nmd d k O9\r\n'],
  ['ma create with initial value', 'ma k3 N0 J13 v\r\nma k3 v\r\n'],
  [
    'ma modes and deltas',
    'ma c N0 q\r\nma c q\r\nma c v t k O5\r\nma c MD D100 v\r\nma c MI D18446744073709551615 v\r\n',
  ],
  ['ma errors', 'ma zz\r\nma zz q\r\nma zz Mx\r\nma zz D-1\r\nma zz Dabc\r\nma zz Jabc\r\n'],
  ['ma non-numeric', 'set n 0 0 1\r\nx\r\nma n\r\nma n v\r\n'],
  ['ma cas and ttl', 'set n 0 0 1\r\n5\r\nma n C1\r\nma n T50 t v\r\n'],
  ['ma vivify ttl', 'ma z N100 t v J7\r\nma y N0 t v\r\nma y v T-1\r\nmg y v\r\n'],
  ['ma wraps', 'ma w N0 J18446744073709551615 v\r\nma w v\r\n'],
  ['me', 'set e 0 0 1\r\nx\r\nme e\r\nme zz\r\nme\r\nme e x\r\n'],
  ['mn', 'mn\r\nmn x\r\n'],
  ['unknown meta command', 'mx a\r\n'],
];

function base64Cases(): Case[] {
  const keys = [
    'YQ',
    'YQ=',
    'YQ==',
    'YWJj',
    'YWJjZA',
    'YWJjZA==',
    'YQ==YQ==',
    'Y!Q=',
    'AAAA',
    '____',
  ];
  const cases: Case[] = keys.map((key) => [
    `base64 key ${key}`,
    `ms ${key} 1 b k\r\nx\r\nmg ${key} b k v\r\n`,
  ]);
  cases.push([
    'base64 key shown for text get',
    'ms ZQ== 1 b\r\nx\r\nget e\r\nmg e k\r\nme ZQ== b\r\n',
  ]);
  return cases;
}

const skip = memcachedSkipReason();

describe('memcached port against memcached 1.6', { skip }, () => {
  let damselflyPort = 0;
  let memcachedPort = 0;

  before(async () => {
    const damselfly = await startDamselflyWithMemcached();
    const reference = await startMemcached();
    assert.ok(reference !== null);
    damselflyPort = damselfly.memcachedPort;
    memcachedPort = reference.port;
  });

  /** Empties a server, then runs the setup bytes (one reply line) on their own connection. */
  async function reset(port: number, setup?: string): Promise<void> {
    const client = await MemcacheLineClient.connect(port);
    assert.equal(await client.call('flush_all\r\n'), 'OK');
    if (setup !== undefined) await client.call(setup);
    client.close();
  }

  async function compare(bytes: string, setup?: string, quietMs = QUIET_MS): Promise<void> {
    await Promise.all([reset(damselflyPort, setup), reset(memcachedPort, setup)]);
    const [expected, actual] = await Promise.all([
      exchange(memcachedPort, bytes, quietMs),
      exchange(damselflyPort, bytes, quietMs),
    ]);
    assert.equal(formatBytes(normalizeFigures(actual)), formatBytes(normalizeFigures(expected)));
  }

  const groups: [string, Case[]][] = [
    ['storage', STORAGE_CASES],
    ['noreply', NOREPLY_CASES],
    ['retrieval', RETRIEVAL_CASES],
    ['arithmetic', ARITHMETIC_CASES],
    ['other', OTHER_CASES],
    ['meta', META_CASES],
    ['base64', base64Cases()],
  ];
  for (const [group, cases] of groups) {
    describe(group, () => {
      for (const [name, bytes, setup, quietMs] of cases) {
        test(name, () => compare(bytes, setup, quietMs));
      }
    });
  }

  test('cas with the value from gets', async () => {
    for (const port of [damselflyPort, memcachedPort]) {
      const client = await MemcacheLineClient.connect(port);
      assert.equal(await client.call('set c 0 0 1\r\nx\r\n'), 'STORED');
      const reply = await client.retrieve('gets c\r\n');
      const cas = /^VALUE c 0 1 (\d+)\r\n/.exec(reply)?.[1];
      assert.ok(cas !== undefined, `no cas value in ${reply}`);
      assert.equal(await client.call(`cas c 0 0 1 ${BigInt(cas) + 1000n}\r\ny\r\n`), 'EXISTS');
      assert.equal(await client.call(`cas c 5 0 1 ${cas}\r\nz\r\n`), 'STORED');
      assert.equal(await client.call(`cas c 0 0 1 ${cas}\r\nw\r\n`), 'EXISTS');
      assert.equal(await client.retrieve('get c\r\n'), 'VALUE c 5 1\r\nz\r\nEND\r\n');
      client.close();
    }
  });

  test('ms stale store with lower cas', async () => {
    const transcripts: string[] = [];
    for (const port of [damselflyPort, memcachedPort]) {
      const client = await MemcacheLineClient.connect(port);
      await client.call('flush_all\r\n');
      const stored = await client.call('ms s 1 c\r\nx\r\n');
      const cas = BigInt(/c(\d+)/.exec(stored)?.[1] ?? '0');
      const lines = [await client.call(`ms s 1 C${cas - 1n} I\r\ny\r\n`)];
      lines.push(await client.call('mg s v c\r\n'), await client.line());
      transcripts.push(normalizeFigures(lines.join('\n')));
      client.close();
    }
    assert.equal(transcripts[0], transcripts[1]);
  });

  test('byte by byte delivery', async () => {
    const bytes = 'set k 1 0 5\r\nhello\r\nmg k s v f\r\nget k zz\r\nincr k 1\r\ndelete k\r\n';
    await Promise.all([reset(damselflyPort), reset(memcachedPort)]);
    const expected = await exchange(memcachedPort, bytes);
    const { RawClient } = await import('./support/raw-client');
    const client = await RawClient.connect(damselflyPort);
    for (const byte of Buffer.from(bytes, 'latin1')) await client.send(Buffer.from([byte]));
    const actual = (await client.readUntilQuiet(200)).toString('latin1');
    client.destroy();
    assert.equal(formatBytes(actual), formatBytes(expected));
  });
});

describe('memcached authentication against memcached -Y', { skip }, () => {
  let damselflyPort = 0;
  let memcachedPort = 0;

  before(async () => {
    const damselfly = await startDamselflyWithMemcached(['--requirepass', 'secret']);
    const { writeFileSync } = await import('node:fs');
    const { makeTempDir } = await import('./support/servers');
    const authFile = `${makeTempDir('memcached-auth-')}/auth`;
    writeFileSync(authFile, 'default:secret\n');
    // The readiness probe sends `version`, which memcached -Y rejects; wait for the port instead.
    const reference = await startMemcached({ args: ['-Y', authFile], waitUntilReady: false });
    assert.ok(reference !== null);
    await waitForPort(reference.port);
    damselflyPort = damselfly.memcachedPort;
    memcachedPort = reference.port;
  });

  const cases: Case[] = [
    ['commands before authentication', 'get a\r\n'],
    ['version before authentication', 'version\r\n'],
    ['pipelined input dropped', 'get a\r\nget b\r\nversion\r\n'],
    ['successful authentication', 'set a 0 0 14\r\ndefault secret\r\nget a\r\nversion\r\n'],
    ['noreply is ignored', 'set a 0 0 14 noreply\r\ndefault secret\r\nversion\r\n'],
    ['wrong password', 'set a 0 0 13\r\ndefault wrong\r\n'],
    ['missing password', 'set a 0 0 7\r\ndefault\r\n'],
    ['bad termination', 'set a 0 0 14\r\ndefault secretXX'],
    ['add does not authenticate', 'add a 0 0 14\r\ndefault secret\r\n'],
    ['bad length', 'set a 0 0 x\r\ndefault secret\r\n'],
    ['two spaces between words', 'set a 0 0 15\r\ndefault  secret\r\nversion\r\n'],
    ['long line closes', 'x'.repeat(3000)],
  ];
  for (const [name, bytes] of cases) {
    test(name, async () => {
      const [expected, actual] = await Promise.all([
        exchange(memcachedPort, bytes, QUIET_MS),
        exchange(damselflyPort, bytes, QUIET_MS),
      ]);
      assert.equal(formatBytes(actual), formatBytes(expected));
    });
  }
});
