// The shape of every object the reconcile builds: typed like @kubernetes/client-node's models, with
// the fields an apply or create needs (apiVersion, kind, name, namespace) guaranteed present.
import type { V1ObjectMeta } from '@kubernetes/client-node';

export type Built<T> = T & { apiVersion: string; kind: string; metadata: V1ObjectMeta & { name: string; namespace: string } };
