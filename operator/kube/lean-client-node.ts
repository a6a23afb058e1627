// The operator needs one part of @kubernetes/client-node at run time: KubeConfig (kubeconfig and in-cluster
// loading, every auth provider, TLS and proxy settings). But client-node's config.js imports its generated
// API clients and models (./gen/index.js: ~1,000 modules, ~25 MB of JavaScript) for makeApiClient alone,
// which the operator never calls (operator/kube/client.ts sends its own requests). Loaded, they cost ~50 MiB
// of RSS in every replica. This resolve hook hands config.js a stub of the two names it imports from there.
// If a client-node release imports other names, the operator fails at start with "does not provide an
// export named …", which every test that starts the operator would show.
import { registerHooks } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The module config.js imports its API-client factory from, and the stub given in its place. */
const generatedIndex = './gen/index.js';
const configModule = '/@kubernetes/client-node/dist/config.js';
// Same extension as this file: .js when compiled, .ts when run from source under tsx.
const stubUrl = new URL(`./client-node-gen-stub${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/** True for the one import the hook replaces: config.js's `./gen/index.js`. Pure. */
export function isGeneratedApiImport(specifier: string, parentUrl: string | undefined): boolean {
  return specifier === generatedIndex && parentUrl !== undefined && parentUrl.endsWith(configModule);
}

/** Registers the hook; call before the first import of client-node. */
export function leaveOutGeneratedApiClients(): void {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (isGeneratedApiImport(specifier, context.parentURL)) return { url: stubUrl, shortCircuit: true };
      return nextResolve(specifier, context);
    },
  });
}
