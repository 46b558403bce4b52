import pino, { type Logger } from 'pino';

/** Redis log level names mapped to pino's. */
const LEVELS: Record<string, pino.LevelWithSilent> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'silent',
};

/** Creates the server's logger: JSON lines on standard output, or appended to `file`. */
export function createLogger(level: string, file: string): Logger {
  const destination =
    file === ''
      ? pino.destination({ fd: 1, sync: false })
      : pino.destination({ dest: file, sync: false, mkdir: true });
  // A closed destination (standard output piped to a process that exited)
  // loses the log lines but must not stop the server or its shutdown.
  destination.on('error', () => undefined);
  return pino({ level: LEVELS[level] ?? 'info', base: { pid: process.pid } }, destination);
}

export function setLogLevel(logger: Logger, level: string): void {
  logger.level = LEVELS[level] ?? 'info';
}
