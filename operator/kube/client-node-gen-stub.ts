// What the operator's process loads instead of @kubernetes/client-node's generated API clients (see
// lean-client-node.ts): the two names client-node's config.js imports, for KubeConfig.makeApiClient only.
const why = 'the operator leaves client-node generated API clients out (operator/kube/lean-client-node.ts); use KubeClient';

export function createConfiguration(): never {
  throw new Error(`createConfiguration: ${why}`);
}

export class ServerConfiguration {
  constructor() {
    throw new Error(`ServerConfiguration: ${why}`);
  }
}
