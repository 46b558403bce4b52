/**
 * The TLS listener's secure context: built from the tls-* settings at start,
 * and rebuilt when CONFIG SET changes any of them, so new connections use
 * the new certificate while existing ones keep theirs.
 */
import tls from 'node:tls';
import type { Server } from '../engine/server';
import { secureContextOptions, TlsSetupError } from '../security/tls-context';

/** Settings whose change rebuilds the secure context. */
const CONTEXT_SETTINGS = [
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-ca-cert-file',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
  'tls-auth-clients',
];

/** The per-connection options of tls.Server that Node reads for each new connection. */
interface ClientAuthentication {
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** Creates the TLS server; throws TlsSetupError when the settings cannot be used. */
export function createTlsServer(
  server: Server,
  onSecure: (socket: tls.TLSSocket) => void,
): tls.Server {
  const options = secureContextOptions(server.config);
  const tlsServer = tls.createServer(options, onSecure);
  applyClientAuthentication(server, tlsServer);
  tlsServer.on('tlsClientError', (error) => {
    server.stats.tlsHandshakeFailures++;
    server.logger.debug({ err: error.message }, 'TLS handshake failed');
  });
  let started = false;
  for (const name of CONTEXT_SETTINGS) {
    server.config.watch(name, () => {
      if (started) reloadContext(server, tlsServer);
    });
  }
  started = true;
  return tlsServer;
}

/**
 * Asks every client for a certificate unless tls-auth-clients is no; only
 * `yes` fails the handshake without a valid one. With `optional`, the
 * listener closes connections whose certificate did not verify.
 */
function applyClientAuthentication(server: Server, tlsServer: tls.Server): void {
  const mode = server.config.string('tls-auth-clients');
  const target = tlsServer as unknown as ClientAuthentication;
  target.requestCert = mode !== 'no';
  target.rejectUnauthorized = mode === 'yes';
}

/** Rebuilds the context; on failure keeps the old one and logs why. */
function reloadContext(server: Server, tlsServer: tls.Server): void {
  try {
    tlsServer.setSecureContext(secureContextOptions(server.config));
    applyClientAuthentication(server, tlsServer);
    server.logger.info('TLS certificates and settings reloaded');
  } catch (error) {
    const message = error instanceof TlsSetupError ? error.message : String(error);
    server.logger.error({ err: message }, 'TLS settings not applied; the previous ones stay');
  }
}

/** Returns the CN of a verified client certificate, or null. */
export function verifiedCommonName(socket: tls.TLSSocket): string | null {
  if (!socket.authorized) return null;
  const subject = socket.getPeerCertificate().subject as { CN?: string | string[] } | undefined;
  const name = subject?.CN;
  if (typeof name === 'string') return name;
  return Array.isArray(name) && name.length > 0 ? name[0] : null;
}
