/** `damselfly audit verify FILE`: checks the hash chain of an audit log. */
import { readFileSync } from 'node:fs';
import { verifyAuditText } from './security/audit-log';

const USAGE = 'usage: damselfly audit verify FILE\n';

/** Runs the audit subcommand; returns the process exit code (0 intact, 1 broken, 2 usage). */
export function runAuditCommand(args: readonly string[]): number {
  if (args.length !== 2 || args[0] !== 'verify') {
    process.stderr.write(USAGE);
    return 2;
  }
  const file = args[1];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(`damselfly audit: cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  const result = verifyAuditText(text);
  if (result.brokenLine === 0) {
    process.stdout.write(`${file}: ${result.lines} lines, hash chain intact\n`);
    return 0;
  }
  process.stdout.write(
    `${file}: hash chain broken at line ${result.brokenLine}: ${result.reason}\n`,
  );
  return 1;
}
