/**
 * TLS: ioredis and node-redis over TLS with and without client
 * certificates, tls-auth-clients modes, logins by certificate CN, and
 * certificate reload on CONFIG SET. Certificates are made with the openssl CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';
import { createClient } from 'redis';

import { findFreePort, makeTempDir, startDamselfly, stopAllServers } from './support/servers';

interface Certificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherServerCert: string;
  otherServerKey: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** Signs a certificate for `name` with the test CA; returns [cert, key] file paths. */
function signed(dir: string, name: string, cn: string, extensions?: string): [string, string] {
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  );
  const args = [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
  ];
  if (extensions !== undefined) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    args.push('-extfile', `${name}.ext`);
  }
  openssl(dir, ...args);
  return [path.join(dir, `${name}.crt`), path.join(dir, `${name}.key`)];
}

function makeCertificates(): Certificates {
  const dir = makeTempDir('damselfly-tls-');
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Damselfly Test CA',
  );
  const san = 'subjectAltName=DNS:localhost,IP:127.0.0.1\n';
  const [serverCert, serverKey] = signed(dir, 'server', 'localhost', san);
  const [otherServerCert, otherServerKey] = signed(dir, 'server2', 'localhost', san);
  const [clientCert, clientKey] = signed(dir, 'client', 'alice');
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    serverCert,
    serverKey,
    clientCert,
    clientKey,
    otherServerCert,
    otherServerKey,
  };
}

/** Returns the serial number of the certificate a TLS server presents now. */
function presentedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { port, host: '127.0.0.1', ca: fs.readFileSync(ca), servername: 'localhost' },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.destroy();
        resolve(serial);
      },
    );
    socket.on('error', reject);
  });
}

function plainClient(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
}

describe('TLS', () => {
  let certs: Certificates;

  before(() => {
    certs = makeCertificates();
  });

  after(stopAllServers);

  async function startTls(authClients: string, extra: string[] = []) {
    const tlsPort = await findFreePort();
    const server = await startDamselfly({
      args: [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        certs.serverCert,
        '--tls-key-file',
        certs.serverKey,
        '--tls-ca-cert-file',
        certs.ca,
        '--tls-auth-clients',
        authClients,
        ...extra,
      ],
    });
    return { server, tlsPort };
  }

  function ioredisTls(port: number, withCertificate: boolean): Redis {
    return new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableReadyCheck: false,
      tls: {
        ca: fs.readFileSync(certs.ca),
        servername: 'localhost',
        ...(withCertificate
          ? { cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) }
          : {}),
      },
    });
  }

  test('ioredis and node-redis with client certificates', async () => {
    const { tlsPort } = await startTls('yes');
    const io = ioredisTls(tlsPort, true);
    await io.connect();
    assert.equal(await io.set('k1', 'v1'), 'OK');
    assert.equal(await io.get('k1'), 'v1');
    io.disconnect();

    const node = createClient({
      socket: {
        port: tlsPort,
        host: '127.0.0.1',
        tls: true,
        servername: 'localhost',
        ca: fs.readFileSync(certs.ca),
        cert: fs.readFileSync(certs.clientCert),
        key: fs.readFileSync(certs.clientKey),
        reconnectStrategy: false,
      },
    });
    await node.connect();
    assert.equal(await node.get('k1'), 'v1');
    assert.equal(await node.sendCommand(['ACL', 'WHOAMI']), 'default');
    await node.quit();
  });

  test('tls-auth-clients yes refuses clients without a certificate', async () => {
    const { tlsPort } = await startTls('yes');
    const io = ioredisTls(tlsPort, false);
    io.on('error', () => undefined);
    await assert.rejects(async () => {
      await io.connect();
      await io.ping();
    });
    io.disconnect();
  });

  test('tls-auth-clients optional and no accept clients without a certificate', async () => {
    for (const mode of ['optional', 'no']) {
      const { tlsPort } = await startTls(mode);
      const node = createClient({
        socket: {
          port: tlsPort,
          host: '127.0.0.1',
          tls: true,
          servername: 'localhost',
          ca: fs.readFileSync(certs.ca),
          reconnectStrategy: false,
        },
      });
      await node.connect();
      assert.equal(await node.ping(), 'PONG');
      await node.quit();
    }
  });

  test('a certificate CN logs in as that user', async () => {
    const { server, tlsPort } = await startTls('optional', ['--tls-auth-clients-user', 'cn']);
    const plain = plainClient(server.port);
    await plain.connect();
    await plain.call('ACL', 'SETUSER', 'alice', 'on', '>unused', '~*', '+@all');
    await plain.call('CONFIG', 'SET', 'requirepass', 'secret');
    const withCert = ioredisTls(tlsPort, true);
    await withCert.connect();
    assert.equal(await withCert.call('ACL', 'WHOAMI'), 'alice');
    const without = ioredisTls(tlsPort, false);
    without.on('error', () => undefined);
    await without.connect();
    await assert.rejects(without.get('k'), /NOAUTH/);
    withCert.disconnect();
    without.disconnect();
    plain.disconnect();
  });

  test('CONFIG SET of the certificate reloads it for new connections', async () => {
    const { server, tlsPort } = await startTls('no', ['--enable-protected-configs', 'yes']);
    const before = await presentedSerial(tlsPort, certs.ca);
    const kept = ioredisTls(tlsPort, false);
    await kept.connect();
    const plain = plainClient(server.port);
    await plain.connect();
    const reply = await plain.call(
      'CONFIG',
      'SET',
      'tls-cert-file',
      certs.otherServerCert,
      'tls-key-file',
      certs.otherServerKey,
    );
    assert.equal(reply, 'OK');
    const afterReload = await presentedSerial(tlsPort, certs.ca);
    assert.notEqual(afterReload, before);
    assert.equal(await kept.ping(), 'PONG', 'existing connections keep working');
    await assert.rejects(
      plain.call('CONFIG', 'SET', 'tls-cert-file', path.join(certs.dir, 'missing.crt')),
      /CONFIG SET failed \(possibly related to argument 'tls-cert-file'\) - the file cannot be read/,
    );
    await assert.rejects(
      plain.call('CONFIG', 'SET', 'tls-protocols', 'TLSv1.1'),
      /unsupported protocol 'TLSv1.1'/,
    );
    kept.disconnect();
    plain.disconnect();
  });

  test('TLS 1.1 clients are refused', async () => {
    const { tlsPort } = await startTls('no');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const socket = tls.connect(
          {
            port: tlsPort,
            host: '127.0.0.1',
            ca: fs.readFileSync(certs.ca),
            servername: 'localhost',
            maxVersion: 'TLSv1.1',
            minVersion: 'TLSv1',
          },
          () => resolve(socket),
        );
        socket.on('error', reject);
      }),
    );
  });
});
