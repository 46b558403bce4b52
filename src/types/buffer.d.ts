/**
 * Node's Buffer has fast latin1 methods that @types/node does not declare.
 * They exist on every Buffer in Node.js 20 (lib/buffer.js).
 */
declare global {
  interface Buffer {
    latin1Write(text: string, offset?: number, length?: number): number;
    latin1Slice(start?: number, end?: number): string;
  }
}

export {};
