/** Byte helpers shared by the test support modules. */

const DEFAULT_MAX_LENGTH = 2000;

/**
 * Formats bytes as a double-quoted, single-line string for assertion messages.
 * CR, LF, tab, backslash and quote are escaped as in C, and other bytes outside
 * printable ASCII become `\xHH`. Output past `maxLength` characters is cut and
 * the number of omitted bytes is appended.
 */
export function formatBytes(data: Buffer | string, maxLength = DEFAULT_MAX_LENGTH): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let text = '';
  let index = 0;

  for (; index < bytes.length && text.length < maxLength; index++) {
    text += escapeByte(bytes[index]);
  }

  const omitted = bytes.length - index;
  const suffix = omitted > 0 ? `... (${omitted} more bytes)` : '';
  return `"${text}"${suffix}`;
}

function escapeByte(byte: number): string {
  switch (byte) {
    case 0x0d:
      return '\\r';
    case 0x0a:
      return '\\n';
    case 0x09:
      return '\\t';
    case 0x5c:
      return '\\\\';
    case 0x22:
      return '\\"';
  }

  if (byte >= 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

/** Converts a byte string (one character per byte, latin1) or a Buffer to a Buffer. */
export function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}
