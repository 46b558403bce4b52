import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { formatBytes } from './bytes';
import { RespSyntaxError, encodeCommand, findReplyEnd, splitReplies } from './resp';

/** One complete reply of every RESP2 and RESP3 type, with nesting and edge lengths. */
const REPLIES: Record<string, string> = {
  'simple string': '+OK\r\n',
  'simple error': '-ERR unknown command\r\n',
  integer: ':-12\r\n',
  'bulk string': '$5\r\nhello\r\n',
  'bulk string containing CRLF': '$4\r\na\r\nb\r\n',
  'empty bulk string': '$0\r\n\r\n',
  'nil bulk string': '$-1\r\n',
  'empty array': '*0\r\n',
  'nil array': '*-1\r\n',
  'nested array': '*3\r\n*1\r\n+x\r\n*0\r\n$1\r\ny\r\n',
  null: '_\r\n',
  double: ',3.14\r\n',
  'double infinity': ',-inf\r\n',
  'boolean true': '#t\r\n',
  'blob error': '!21\r\nSYNTAX invalid syntax\r\n',
  'verbatim string': '=15\r\ntxt:Some string\r\n',
  'big number': '(3492890328409238509324850943850943825024385\r\n',
  map: '%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n:2\r\n',
  set: '~2\r\n+a\r\n+b\r\n',
  push: '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
  'attribute before a reply': '|1\r\n+key\r\n+value\r\n:42\r\n',
  'attribute inside an array': '*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n',
};

describe('findReplyEnd', () => {
  for (const [name, reply] of Object.entries(REPLIES)) {
    test(`finds the end of a ${name}`, () => {
      const bytes = Buffer.from(reply, 'latin1');
      const followed = Buffer.concat([bytes, Buffer.from('+NEXT\r\n')]);

      assert.equal(findReplyEnd(bytes), bytes.length);
      assert.equal(findReplyEnd(followed), bytes.length);
      assert.equal(findReplyEnd(followed, bytes.length), followed.length);
    });

    test(`waits on every prefix of a ${name}`, () => {
      const bytes = Buffer.from(reply, 'latin1');

      for (let length = 0; length < bytes.length; length++) {
        const prefix = bytes.subarray(0, length);
        assert.equal(findReplyEnd(prefix), -1, `prefix ${formatBytes(prefix)}`);
      }
    });
  }

  const malformed: Record<string, string> = {
    'unknown type byte': 'x\r\n',
    'non-numeric integer': ':12a\r\n',
    'negative bulk length': '$-2\r\n',
    'bulk payload without CRLF': '$3\r\nabcXY',
    'streamed string': '$?\r\n;4\r\nabcd\r\n;0\r\n',
    'streamed array': '*?\r\n:1\r\n.\r\n',
    'invalid boolean': '#x\r\n',
    'non-empty null': '_x\r\n',
    'verbatim string without format': '=3\r\nabc\r\n',
    'nil map': '%-1\r\n',
  };

  for (const [name, input] of Object.entries(malformed)) {
    test(`rejects ${name}`, () => {
      assert.throws(() => findReplyEnd(Buffer.from(input, 'latin1')), RespSyntaxError);
    });
  }

  test('reports the offset of a nested error', () => {
    const input = Buffer.from('*2\r\n:1\r\n?bad\r\n');

    assert.throws(() => findReplyEnd(input), { name: 'RespSyntaxError', offset: 8 });
  });
});

describe('splitReplies', () => {
  const all = Object.values(REPLIES);
  const stream = Buffer.from(all.join(''), 'latin1');

  test('splits a stream of replies fed whole', () => {
    const { replies, rest } = splitReplies(stream);

    assert.deepEqual(
      replies.map((reply) => reply.toString('latin1')),
      all,
    );
    assert.equal(rest.length, 0);
  });

  test('splits a stream of replies fed one byte at a time', () => {
    const found: string[] = [];
    let pending: Buffer = Buffer.alloc(0);

    for (const byte of stream) {
      pending = Buffer.concat([pending, Buffer.from([byte])]);
      const { replies, rest } = splitReplies(pending);
      found.push(...replies.map((reply) => reply.toString('latin1')));
      pending = rest;
    }

    assert.deepEqual(found, all);
    assert.equal(pending.length, 0);
  });

  test('keeps an unfinished reply as rest', () => {
    const { replies, rest } = splitReplies(Buffer.from('+OK\r\n$5\r\nhel'));

    assert.equal(replies.length, 1);
    assert.equal(rest.toString(), '$5\r\nhel');
  });
});

describe('encodeCommand', () => {
  test('encodes arguments as bulk strings', () => {
    const bytes = encodeCommand(['SET', 'key', '']);

    assert.equal(bytes.toString(), '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n');
  });

  test('encodes strings as UTF-8', () => {
    const bytes = encodeCommand(['ECHO', 'é']);

    assert.equal(bytes.toString('latin1'), '*2\r\n$4\r\nECHO\r\n$2\r\n\xc3\xa9\r\n');
  });

  test('sends buffers byte for byte', () => {
    const bytes = encodeCommand(['ECHO', Buffer.from([0xff, 0x00])]);

    assert.equal(bytes.toString('latin1'), '*2\r\n$4\r\nECHO\r\n$2\r\n\xff\x00\r\n');
  });
});

describe('formatBytes', () => {
  test('escapes CRLF, quotes and control bytes', () => {
    const text = formatBytes(Buffer.from('+O"K\r\n\x00\\', 'latin1'));

    assert.equal(text, '"+O\\"K\\r\\n\\x00\\\\"');
  });

  test('cuts long input and counts the rest', () => {
    assert.equal(formatBytes('abcdef', 4), '"abcd"... (2 more bytes)');
  });
});
