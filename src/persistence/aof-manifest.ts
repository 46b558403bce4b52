/**
 * The append-only file manifest, in Redis 7's layout: a directory holding one
 * base file (a snapshot or commands), increment files of commands written
 * since, and a manifest that lists them, one per line:
 *
 *     file appendonly.aof.1.base.rdb seq 1 type b
 *     file appendonly.aof.1.incr.aof seq 1 type i
 *
 * Type `b` is the base, `i` an increment, `h` history waiting for deletion.
 */
import { splitInlineArguments } from '../protocol/resp/parser';

export type AofFileType = 'b' | 'i' | 'h';

export interface AofFileEntry {
  name: string;
  seq: number;
  type: AofFileType;
}

export interface AofManifest {
  base: AofFileEntry | null;
  increments: AofFileEntry[];
  history: AofFileEntry[];
}

export class ManifestError extends Error {}

export function parseManifest(text: string): AofManifest {
  const manifest: AofManifest = { base: null, increments: [], history: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = splitInlineArguments(line);
    if (words === null || words.length % 2 !== 0) {
      throw new ManifestError(`invalid manifest line ${i + 1}`);
    }
    const fields = new Map<string, string>();
    for (let w = 0; w < words.length; w += 2) fields.set(words[w], words[w + 1]);
    const entry = {
      name: fields.get('file') ?? '',
      seq: Number(fields.get('seq')),
      type: fields.get('type') as AofFileType,
    };
    if (entry.name === '' || entry.name.includes('/') || !Number.isInteger(entry.seq)) {
      throw new ManifestError(`invalid manifest line ${i + 1}`);
    }
    if (entry.type === 'b') {
      if (manifest.base !== null) throw new ManifestError('manifest lists two base files');
      manifest.base = entry;
    } else if (entry.type === 'i') {
      manifest.increments.push(entry);
    } else if (entry.type === 'h') {
      manifest.history.push(entry);
    } else {
      throw new ManifestError(`invalid file type on manifest line ${i + 1}`);
    }
  }
  manifest.increments.sort((a, b) => a.seq - b.seq);
  return manifest;
}

function formatName(name: string): string {
  return /^[A-Za-z0-9._-]+$/.test(name) ? name : JSON.stringify(name);
}

export function formatManifest(manifest: AofManifest): string {
  const entries = [
    ...(manifest.base ? [manifest.base] : []),
    ...manifest.history,
    ...manifest.increments,
  ];
  return entries
    .map((entry) => `file ${formatName(entry.name)} seq ${entry.seq} type ${entry.type}\n`)
    .join('');
}

export function manifestName(baseName: string): string {
  return `${baseName}.manifest`;
}

export function baseFileName(baseName: string, seq: number, snapshot: boolean): string {
  return `${baseName}.${seq}.base.${snapshot ? 'rdb' : 'aof'}`;
}

export function incrementFileName(baseName: string, seq: number): string {
  return `${baseName}.${seq}.incr.aof`;
}
