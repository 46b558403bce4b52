/**
 * TLS settings: reading certificates and keys, the accepted protocol
 * versions and ciphers, and the options of the TLS listener. Relative file
 * names are resolved against the directory the server was started in, so
 * that a later change of `dir` does not move them.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import type { Config } from '../config/config';
import { InvalidSettingError } from '../config/errors';

const START_DIRECTORY = process.cwd();

const PROTOCOLS: Record<string, SecureVersion> = {
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};

/** Resolves a file name against the directory the server was started in. */
export function resolveStartPath(path: string): string {
  return resolve(START_DIRECTORY, path);
}

/**
 * Checks `tls-protocols`: TLSv1.2 and/or TLSv1.3; older versions are
 * refused. Empty, the default as in Redis, means both.
 */
export function normalizeTlsProtocols(text: string): string {
  const words = text.split(/\s+/).filter((word) => word !== '');
  for (const word of words) {
    if (PROTOCOLS[word.toLowerCase()] === undefined) {
      throw new InvalidSettingError(
        `unsupported protocol '${word}': use TLSv1.2 and/or TLSv1.3 (older versions are insecure)`,
      );
    }
  }
  return words.map((word) => PROTOCOLS[word.toLowerCase()]).join(' ');
}

/** Checks that a certificate or key file can be read ('' means none). */
export function normalizeReadableFile(text: string): string {
  if (text === '') return text;
  try {
    accessSync(resolveStartPath(text), constants.R_OK);
  } catch {
    throw new InvalidSettingError('the file cannot be read');
  }
  return text;
}

function readFile(config: Config, name: string): Buffer | undefined {
  const path = config.string(name);
  return path === '' ? undefined : readFileSync(resolveStartPath(path));
}

/** Versions in force: the lowest and highest of `tls-protocols`. */
function versionRange(config: Config): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const text = config.string('tls-protocols');
  const versions = (text === '' ? 'TLSv1.2 TLSv1.3' : text).split(' ') as SecureVersion[];
  const sorted = [...versions].sort();
  return { minVersion: sorted[0], maxVersion: sorted[sorted.length - 1] };
}

/** Thrown when the TLS settings cannot be used; the message is for the operator. */
export class TlsSetupError extends Error {}

/**
 * Reads the certificate, key and CA files named by the settings and returns
 * the secure context options for the listener. Throws TlsSetupError when a
 * file is missing or unreadable, or client certificates are required without a CA.
 */
export function secureContextOptions(config: Config): SecureContextOptions {
  if (config.string('tls-cert-file') === '' || config.string('tls-key-file') === '') {
    throw new TlsSetupError('tls-port needs both tls-cert-file and tls-key-file');
  }
  const authClients = config.string('tls-auth-clients');
  if (authClients !== 'no' && config.string('tls-ca-cert-file') === '') {
    throw new TlsSetupError('tls-ca-cert-file is needed while tls-auth-clients is yes or optional');
  }
  const ciphers = [config.string('tls-ciphersuites'), config.string('tls-ciphers')]
    .filter((text) => text !== '')
    .join(':');
  const passphrase = config.string('tls-key-file-pass');
  try {
    return {
      cert: readFile(config, 'tls-cert-file'),
      key: readFile(config, 'tls-key-file'),
      ca: readFile(config, 'tls-ca-cert-file'),
      passphrase: passphrase === '' ? undefined : passphrase,
      ciphers: ciphers === '' ? undefined : ciphers,
      ...versionRange(config),
    };
  } catch (error) {
    throw new TlsSetupError(`cannot read a TLS file: ${(error as Error).message}`);
  }
}
