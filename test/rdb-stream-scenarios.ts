/**
 * Streams built by commands, shared by the stream persistence tests. Each
 * scenario builds the key `s` on an empty server.
 */

export type Command = string[];

export interface Scenario {
  name: string;
  commands: Command[];
  /** Entries were deleted, so Damselfly's rewritten nodes differ from Redis's. */
  deletions?: boolean;
}

function range(count: number, make: (i: number) => Command): Command[] {
  return Array.from({ length: count }, (_, i) => make(i + 1));
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'entries with one field layout',
    commands: [
      ['XADD', 's', '1-1', 'a', '1', 'b', 'two'],
      ['XADD', 's', '1-2', 'a', '3', 'b', 'four'],
      ['XADD', 's', '5-0', 'a', '', 'b', '-4097'],
    ],
  },
  {
    name: 'mixed fields, integers and binary values',
    commands: [
      ['XADD', 's', '1-1', 'a', '-0', 'b', '007'],
      ['XADD', 's', '1-2', 'b', '9223372036854775807', 'a', '9223372036854775808'],
      ['XADD', 's', '2-0', 'only', 'bin\x00\xff\r\nary'],
      ['XADD', 's', '3-0', 'a', '-9223372036854775808', 'b', '2147483648'],
      ['XADD', 's', '3-1', '', ''],
    ],
  },
  {
    name: 'three nodes of 100 entries',
    commands: range(250, (i) => ['XADD', 's', `${i}-${i % 3}`, 'k', `v${i}`, 'n', String(i)]),
  },
  {
    name: 'nodes cut by size',
    commands: range(80, (i) => ['XADD', 's', `${i}-0`, 'f', 'x'.repeat((i * 37) % 900)]),
  },
  {
    name: 'an entry larger than a node',
    commands: [
      ['XADD', 's', '1-0', 'f', 'small'],
      ['XADD', 's', '2-0', 'f', 'y'.repeat(9000)],
      ['XADD', 's', '3-0', 'f', 'small'],
    ],
  },
  {
    name: 'groups, pending entries and consumers',
    deletions: true,
    commands: [
      ...range(12, (i) => ['XADD', 's', `${i}-0`, 'f', String(i)]),
      ['XDEL', 's', '4-0', '5-0'],
      ['XGROUP', 'CREATE', 's', 'g1', '0'],
      ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '3', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '4', 'STREAMS', 's', '>'],
      ['XCLAIM', 's', 'g1', 'bob', '0', '1-0', 'TIME', '1700000000000', 'RETRYCOUNT', '9'],
      ['XACK', 's', 'g1', '2-0'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g1', 'idle'],
      ['XGROUP', 'CREATE', 's', 'g2', '$'],
      ['XGROUP', 'CREATE', 's', 'g3', '7-0', 'ENTRIESREAD', '5'],
      ['XREADGROUP', 'GROUP', 'g3', 'carol', 'STREAMS', 's', '>'],
    ],
  },
  {
    name: 'an empty stream with pending entries',
    deletions: true,
    commands: [
      ['XADD', 's', '5-5', 'f', 'v'],
      ['XADD', 's', '6-0', 'f', 'v'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'],
      ['XDEL', 's', '5-5', '6-0'],
    ],
  },
  {
    name: 'an empty stream without groups',
    deletions: true,
    commands: [['XADD', 's', 'MAXLEN', '0', '7-7', 'f', 'v']],
  },
  {
    name: 'a never-used stream with a group',
    commands: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']],
  },
  {
    name: 'IDs and counters at the limits',
    commands: [
      ['XADD', 's', '18446744073709551614-18446744073709551615', 'f', 'v'],
      ['XADD', 's', '18446744073709551615-0', 'f', 'v'],
      ['XSETID', 's', '18446744073709551615-9', 'ENTRIESADDED', '99999', 'MAXDELETEDID', '7-7'],
      ['XGROUP', 'CREATE', 's', 'g', '18446744073709551615-0', 'ENTRIESREAD', '99998'],
    ],
  },
  {
    name: 'trimmed by MAXLEN and MINID',
    deletions: true,
    commands: [
      ...range(330, (i) => ['XADD', 's', `${i}-1`, 'f', String(i)]),
      ['XTRIM', 's', 'MAXLEN', '~', '150'],
      ['XTRIM', 's', 'MINID', '200-0'],
    ],
  },
];
