/**
 * Reading an accepted socket without Node.js's stream machinery. By default
 * every read allocates a 64 KiB buffer, shrinks it to the bytes read, wraps
 * it in a Buffer and pushes it through the Readable stream to a 'data'
 * listener. Node.js also offers a static-buffer mode (the `onread` option of
 * `net.Socket`): the bytes land in one reused buffer and go straight to a
 * callback. On a request-reply load of 50 connections on 2 cores, that mode
 * cut the server's CPU time per memcached get by about 15%.
 *
 * Node.js only applies `onread` to sockets it constructs itself, not to the
 * sockets a server accepts, so this module installs the mode on an accepted
 * socket the way the Socket constructor does.
 * NOTE: that relies on Node.js 20's private fields (the `kBuffer` and
 * `kBufferCb` symbols, `_handle.useUserBuffer`). When they are missing, as
 * they may be in other Node.js versions, the socket is read through 'data'
 * events instead, which works the same, only slower.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** Size of the shared read buffer; Node.js's own reads use the same size. */
const READ_BUFFER_SIZE = 64 * 1024;

/**
 * One buffer serves every socket: libuv reads into it and Node.js calls the
 * socket's callback at once, before any other socket reads, and the callback
 * copies the bytes out.
 */
let sharedBuffer: Buffer | null = null;

/** The method of Node.js's TCP handle that makes it read into a given buffer. */
interface UserBufferHandle {
  useUserBuffer(buffer: Buffer): void;
}

interface StaticReadFields {
  buffer: symbol;
  callback: symbol;
}

/** Finds the private fields of the static-buffer mode on a socket, or null. */
function staticReadFields(socket: Socket): StaticReadFields | null {
  let buffer: symbol | null = null;
  let callback: symbol | null = null;
  for (const field of Object.getOwnPropertySymbols(socket)) {
    if (field.description === 'kBuffer') buffer = field;
    else if (field.description === 'kBufferCb') callback = field;
  }
  if (buffer === null || callback === null) return null;
  return { buffer, callback };
}

/**
 * Delivers what `socket` receives to `onChunk`, each chunk a Buffer that the
 * receiver owns. Returns true when the static-buffer mode is in use.
 */
export function readSocket(socket: Socket, onChunk: (chunk: Buffer) => void): boolean {
  if (!installStaticRead(socket, onChunk)) {
    socket.on('data', onChunk);
    return false;
  }
  return true;
}

function installStaticRead(socket: Socket, onChunk: (chunk: Buffer) => void): boolean {
  if (socket instanceof TLSSocket) return false;
  const fields = staticReadFields(socket);
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> })._handle;
  if (fields === null || typeof handle?.useUserBuffer !== 'function') return false;
  const record = socket as unknown as Record<symbol, unknown>;
  if (record[fields.buffer] !== null || record[fields.callback] !== null) return false;
  sharedBuffer ??= Buffer.allocUnsafe(READ_BUFFER_SIZE);
  const shared = sharedBuffer;
  record[fields.buffer] = shared;
  record[fields.callback] = (size: number): void => {
    const chunk = Buffer.allocUnsafe(size);
    shared.copy(chunk, 0, 0, size);
    onChunk(chunk);
  };
  handle.useUserBuffer(shared);
  return true;
}
