// Throwaway PKI for one control plane, made with the openssl CLI: a serving CA and the
// kube-apiserver's serving cert, a client CA and the admin client cert (O=system:masters), SA keys.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlPlaneError } from './errors.js';
import type { TlsClient } from './probe.js';

const execFileAsync = promisify(execFile);

export interface Pki {
  dir: string;
  servingCaCert: string;
  apiserverCert: string;
  apiserverKey: string;
  clientCaCert: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

const caValidityDays = 3650;
const leafValidityDays = 365;
const ecKeyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** The names the serving cert is valid for: loopback, plus the in-cluster service names and IP. */
export const apiserverSubjectAltNames = [
  'DNS:localhost',
  'IP:127.0.0.1',
  'IP:0:0:0:0:0:0:0:1',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
  'IP:10.0.0.1',
];

/** Our own openssl config, so the system's openssl.cnf defaults cannot change what we issue. */
function opensslConfig(serverSubjectAltNames: readonly string[]): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    '[dn]',
    'CN = unused',
    '[ca_ext]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
    'subjectKeyIdentifier = hash',
    '[server_ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = serverAuth',
    'authorityKeyIdentifier = keyid',
    `subjectAltName = ${serverSubjectAltNames.join(', ')}`,
    '[client_ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = clientAuth',
    'authorityKeyIdentifier = keyid',
    '',
  ].join('\n');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new ControlPlaneError(
      'CONTROLPLANE_OPENSSL_FAILED',
      `openssl ${args[0]} failed: ${stderr.trim() || String(error)} (the driver needs the openssl CLI 3.x on PATH)`,
      { cause: error },
    );
  }
}

/** A positive 127-bit serial in hex, as Go's x509 parser wants. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

async function selfSignedCa(dir: string, config: string, name: string, commonName: string): Promise<void> {
  await openssl([
    'req', '-x509', '-config', config, '-extensions', 'ca_ext', ...ecKeyArgs,
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`),
    '-days', String(caValidityDays), '-subj', `/CN=${commonName}`, '-set_serial', randomSerial(),
  ]);
}

async function signedLeaf(dir: string, config: string, ca: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(['req', '-new', '-config', config, ...ecKeyArgs, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', subject]);
  await openssl([
    'x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${ca}.crt`), '-CAkey', join(dir, `${ca}.key`),
    '-set_serial', randomSerial(), '-days', String(leafValidityDays), '-extfile', config, '-extensions', extensions,
    '-out', join(dir, `${name}.crt`),
  ]);
}

/** Where generatePki puts each file in `dir`. */
export function pkiPaths(dir: string): Pki {
  return {
    dir,
    servingCaCert: join(dir, 'serving-ca.crt'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    clientCaCert: join(dir, 'client-ca.crt'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}

/**
 * `extraSubjectAltNames` (e.g. `DNS:*.freshdesk.com`) make the serving cert valid for more names than the
 * control plane's, for a TLS front that plays a real service's host on loopback.
 */
export async function generatePki(dir: string, options: { extraSubjectAltNames?: readonly string[] } = {}): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, opensslConfig([...apiserverSubjectAltNames, ...(options.extraSubjectAltNames ?? [])]));
  await Promise.all([
    selfSignedCa(dir, config, 'serving-ca', 'tenant-sync test serving CA').then(() =>
      signedLeaf(dir, config, 'serving-ca', 'apiserver', '/CN=kube-apiserver', 'server_ext')),
    selfSignedCa(dir, config, 'client-ca', 'tenant-sync test client CA').then(() =>
      signedLeaf(dir, config, 'client-ca', 'admin', '/O=system:masters/CN=tenant-sync-admin', 'client_ext')),
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'sa.key')]).then(() =>
      openssl(['pkey', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')])),
  ]);
  return pkiPaths(dir);
}

/** PEM contents for an https client that trusts the serving CA and presents the admin cert. */
export async function adminTls(pki: Pki): Promise<TlsClient> {
  const [ca, cert, key] = await Promise.all([pki.servingCaCert, pki.adminCert, pki.adminKey].map((path) => readFile(path, 'utf8')));
  return { ca: ca ?? '', cert: cert ?? '', key: key ?? '' };
}
