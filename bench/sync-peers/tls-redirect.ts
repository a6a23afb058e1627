// The Freshdesk fake as the peers insist on reaching it, `https://<x>.freshdesk.com`: a TLS front (a certificate
// of a generated CA, valid for *.freshdesk.com and localhost) before the fake's plain-HTTP port, and the
// environment that makes a Python client resolve *.freshdesk.com to that front (sitecustomize.py) and trust the CA.
import { join } from 'node:path';
import { generatePki } from '../../test/controlplane/certs.js';
import { startTlsFront } from '../../test/support/tls-front.js';
import { sitecustomizeDir } from './venv.js';

export interface FreshdeskTls {
  /** `https://localhost:<port>`: for our sync job (NODE_EXTRA_CA_CERTS trusts the CA). */
  url: string;
  /** The generated CA's certificate (PEM file). */
  caFile: string;
  /** Environment of a Python peer: name redirect on PYTHONPATH, the CA for requests and ssl. */
  pythonEnv(): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startFreshdeskTls(fakeBaseUrl: string, pkiDir: string): Promise<FreshdeskTls> {
  const pki = await generatePki(join(pkiDir), { extraSubjectAltNames: ['DNS:*.freshdesk.com', 'DNS:freshdesk.com'] });
  const front = await startTlsFront(fakeBaseUrl, { certFile: pki.apiserverCert, keyFile: pki.apiserverKey });
  const port = new URL(front.url).port;
  return {
    url: front.url,
    caFile: pki.servingCaCert,
    pythonEnv: () => ({
      PYTHONPATH: sitecustomizeDir,
      // sitecustomize.py lives in the repository: no __pycache__ beside it.
      PYTHONDONTWRITEBYTECODE: '1',
      TENANT_SYNC_BENCH_FRESHDESK_TLS_PORT: port,
      TENANT_SYNC_BENCH_CA_FILE: pki.servingCaCert,
      REQUESTS_CA_BUNDLE: pki.servingCaCert,
      SSL_CERT_FILE: pki.servingCaCert,
    }),
    close: () => front.close(),
  };
}
