// The operator's entrypoint (`node dist/operator/main.js`): leave client-node's generated API clients out of
// the process, then run the operator (operator.ts). The import comes after the hook so the hook sees it.
import { leaveOutGeneratedApiClients } from './kube/lean-client-node.js';

leaveOutGeneratedApiClients();
await import('./operator.js');
