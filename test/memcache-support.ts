/**
 * Helpers for the Memcached port tests: starting Damselfly with a memcached
 * port, sending raw byte streams, and normalizing the figures (CAS values,
 * idle seconds) that legitimately differ from memcached's.
 */
import { RawClient } from './support/raw-client';
import { findFreePort, startDamselfly, type ServerProcess } from './support/servers';

export interface MemcacheServer {
  process: ServerProcess;
  /** The Redis port. */
  port: number;
  memcachedPort: number;
}

/** Starts Damselfly with a memcached port on 127.0.0.1; `args` are appended. */
export async function startDamselflyWithMemcached(args: string[] = []): Promise<MemcacheServer> {
  const memcachedPort = await findFreePort();
  const process = await startDamselfly({
    args: ['--memcached-port', String(memcachedPort), ...args],
  });
  await waitForPort(memcachedPort);
  return { process, port: process.port, memcachedPort };
}

/** Waits until a TCP connection to `port` succeeds. */
export async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const client = await RawClient.connect(port, { timeoutMs: 500 });
      client.destroy();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`nothing listens on memcached port ${port}`);
}

/** The marker appended to a transcript when the server closed the connection. */
export const CLOSED = '<closed>';

/**
 * Sends bytes on a new connection and returns everything received until the
 * connection is quiet for `quietMs`, as a byte string, with CLOSED appended
 * when the server closed the connection.
 */
export async function exchange(
  port: number,
  bytes: string | Buffer,
  quietMs = 150,
): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    await client.send(bytes);
    const received = await client.readUntilQuiet(quietMs, 20_000);
    return received.toString('latin1') + (client.closed ? CLOSED : '');
  } finally {
    client.destroy();
  }
}

/** Replaces CAS values, idle times and item times, which each server numbers its own way. */
export function normalizeFigures(text: string): string {
  return text
    .replace(/^(VALUE \S+ \d+ \d+) \d+\r$/gm, '$1 <cas>\r')
    .replace(/ c\d+(?= |\r)/g, ' c<cas>')
    .replace(/cas=\d+/g, 'cas=<cas>')
    .replace(/la=\d+/g, 'la=<idle>');
}

/** A raw memcached connection for scripted exchanges: one request, one reply line at a time. */
export class MemcacheLineClient {
  readonly #client: RawClient;

  private constructor(client: RawClient) {
    this.#client = client;
  }

  static async connect(port: number): Promise<MemcacheLineClient> {
    return new MemcacheLineClient(await RawClient.connect(port));
  }

  /** Sends bytes and returns the next reply line, without its CRLF. */
  async call(bytes: string): Promise<string> {
    await this.#client.send(bytes);
    return this.line();
  }

  async line(): Promise<string> {
    const line = await this.#client.readUntil('\r\n');
    return line.toString('latin1').slice(0, -2);
  }

  /** Sends a retrieval and returns everything up to and including END. */
  async retrieve(bytes: string): Promise<string> {
    await this.#client.send(bytes);
    let text = '';
    while (!text.endsWith('END\r\n'))
      text += (await this.#client.readUntil('\r\n')).toString('latin1');
    return text;
  }

  close(): void {
    this.#client.destroy();
  }
}
