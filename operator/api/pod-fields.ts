// core/v1 shapes the sync pod takes over (resources, and the pod settings of spec.job), described so that
// kubectl explain and the API server check them instead of storing typos; the operator's --sync-* flags
// are checked with the same schemas. Also the operator's built-in defaults, which the CRD descriptions quote.
import { z } from 'zod';

const quantityPattern = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const quantity = z
  .union([z.number().int().nonnegative(), z.string().regex(new RegExp(quantityPattern), 'must be a quantity such as 500m, 1 or 256Mi')])
  .transform(String)
  .meta({ 'x-kubernetes-int-or-string': true });
const resourceList = (what: string) =>
  z.record(z.string(), quantity).optional().meta({ description: `${what} per resource name, e.g. cpu: 500m, memory: 256Mi.` });

/**
 * Requests and limits of the sync container when neither the TenantSync nor the operator's --sync-resources
 * says otherwise: requests (and limits) of cpu and memory, so a namespace ResourceQuota that requires them
 * admits the pod. 512Mi leaves the job's heap about 300 MiB (sync-job/core/memory-budget.ts).
 */
export const defaultSyncResources = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
} as const satisfies SyncResources;

/** `requests: cpu 100m, memory 256Mi; limits: cpu 1, memory 512Mi`, for descriptions and help texts. */
export const defaultSyncResourcesText = (['requests', 'limits'] as const)
  .map((part) => `${part}: ${Object.entries(defaultSyncResources[part]).map(([name, value]) => `${name} ${value}`).join(', ')}`)
  .join('; ');

export const resourcesSchema = z
  .object({ limits: resourceList('Most compute the sync container may use'), requests: resourceList('Compute reserved for the sync container') })
  .meta({
    description:
      'Compute resources of the sync container, as in a core/v1 container; replaces the operator\'s defaults as a whole. ' +
      `Default (also when empty): the operator's --sync-resources (chart value syncPod.resources), out of the box ${defaultSyncResourcesText}.`,
  });
export type SyncResources = { requests?: Record<string, string> | undefined; limits?: Record<string, string> | undefined };

/** True when resources name no request and no limit (then the operator's defaults apply). */
export function isEmptyResources(resources: SyncResources | undefined): boolean {
  return Object.keys(resources?.requests ?? {}).length === 0 && Object.keys(resources?.limits ?? {}).length === 0;
}

// ---- pod settings of spec.job (and of the operator's --sync-* flags) ---------------------------------
type CelRule = { rule: string; message: string };
const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });

const dnsSubdomainPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const dnsSubdomain = (what: string) =>
  z.string().max(253).regex(new RegExp(dnsSubdomainPattern), `must be a ${what} name: lower-case letters, digits, - and . (a DNS subdomain)`);

export const imagePullPolicies = ['Always', 'IfNotPresent', 'Never'] as const;
export const imagePullPolicySchema = z.enum(imagePullPolicies);

export const imagePullSecretsSchema = z
  .array(z.object({ name: z.string().min(1).max(253).meta({ description: 'Name of a Secret of type kubernetes.io/dockerconfigjson in the tenant\'s namespace.' }) }).meta({ description: 'A pull secret.' }))
  .max(16);

// Label and annotation keys: an optional DNS-subdomain prefix and a name of at most 63 characters.
const qualifiedNameRegex = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** True for a valid label or annotation key (prefix ≤ 253, name ≤ 63 characters). */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  return qualifiedNameRegex.test(key) && key.length - slash - 1 <= 63 && slash <= 253;
}
const keyMessage = 'must be a key such as team or example.com/team: an optional DNS-subdomain prefix and /, then at most 63 letters, digits, - _ .';
function withQualifiedKeys<T extends z.ZodType<Record<string, string>>>(schema: T): T {
  return schema.superRefine((map, ctx) => {
    for (const key of Object.keys(map)) if (!isQualifiedName(key)) ctx.addIssue({ code: 'custom', message: keyMessage, path: [key] });
  }) as unknown as T;
}
const labelValuePattern = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
export const podLabelsSchema = withQualifiedKeys(
  z.record(z.string(), z.string().max(63).regex(new RegExp(labelValuePattern), 'must be a label value: at most 63 letters, digits, - _ . starting and ending with a letter or digit')),
);
export const podAnnotationsSchema = withQualifiedKeys(z.record(z.string(), z.string().max(65536)));

export const priorityClassNameSchema = dnsSubdomain('PriorityClass');
export const serviceAccountNameSchema = dnsSubdomain('ServiceAccount');

// Affinity: its three parts are named, each kept as the core/v1 shape it is (the API server checks the
// pod template when the operator applies the CronJob, and reports a bad one on the TenantSync).
const affinityPart = (what: string) =>
  z.record(z.string(), z.unknown()).optional().meta({ description: `A core/v1 ${what}, as in a pod spec.`, 'x-kubernetes-preserve-unknown-fields': true });
export const affinitySchema = z.object({
  nodeAffinity: affinityPart('NodeAffinity'),
  podAffinity: affinityPart('PodAffinity'),
  podAntiAffinity: affinityPart('PodAntiAffinity'),
});

/** Variables of the job contract (sync-job/contract.ts envNames) start with it: the operator sets them. */
export const reservedEnvPrefix = 'TENANTSYNC_';
const reservedEnvMessage = `names starting with ${reservedEnvPrefix} are reserved for the operator`;
const envNamePattern = '^[-._a-zA-Z][-._a-zA-Z0-9]*$';
const envName = z
  .string()
  .min(1)
  .max(256)
  .regex(new RegExp(envNamePattern), 'must be an environment variable name: letters, digits, - _ . not starting with a digit')
  .refine((name) => !name.startsWith(reservedEnvPrefix), reservedEnvMessage)
  .meta({ description: `Variable name; ${reservedEnvMessage}.`, ...cel({ rule: `!self.startsWith('${reservedEnvPrefix}')`, message: reservedEnvMessage }) });

const keyRef = (kind: string) =>
  z
    .object({
      name: z.string().min(1).max(253).meta({ description: `Name of the ${kind} in the tenant's namespace.` }),
      key: z.string().min(1).max(253).meta({ description: `Key in the ${kind}'s data.` }),
      optional: z.boolean().optional().meta({ description: `Start the pod without the variable when the ${kind} or key is missing.` }),
    })
    .optional()
    .meta({ description: `A key of a ${kind}.` });

export const envVarSchema = z
  .object({
    name: envName,
    value: z.string().max(65536).optional().meta({ description: 'The value; $(VAR) refers to a variable defined before it.' }),
    valueFrom: z
      .object({
        configMapKeyRef: keyRef('ConfigMap'),
        secretKeyRef: keyRef('Secret'),
        fieldRef: z
          .object({
            fieldPath: z.string().min(1).max(256).meta({ description: 'Field of the pod, e.g. metadata.name or spec.nodeName.' }),
            apiVersion: z.string().max(64).optional().meta({ description: 'Version of fieldPath\'s schema. Default: v1.' }),
          })
          .optional()
          .meta({ description: 'A field of the pod (downward API).' }),
        resourceFieldRef: z
          .object({
            resource: z.string().min(1).max(64).meta({ description: 'limits.cpu, limits.memory, requests.cpu or requests.memory.' }),
            containerName: z.string().max(63).optional().meta({ description: 'Container whose resource is read. Default: the sync container.' }),
            divisor: quantity.optional().meta({ description: 'Unit of the value, e.g. 1Mi. Default: 1.' }),
          })
          .optional()
          .meta({ description: 'A resource of the container (downward API).' }),
      })
      .optional()
      .meta({ description: 'Where the value comes from, instead of value.' }),
  })
  .meta({ description: 'A core/v1 EnvVar.' });
// The API server checks unique names through the list's map keys (x-kubernetes-list-map-keys on spec.job.env).
export const envSchema = uniqueBy(z.array(envVarSchema).max(64), (v) => v.name, 'variable');

const oneSourceMessage = 'set exactly one of configMapRef and secretRef';
const envFromSourceRef = (kind: string) =>
  z
    .object({
      name: z.string().min(1).max(253).meta({ description: `Name of the ${kind} in the tenant's namespace.` }),
      optional: z.boolean().optional().meta({ description: `Start the pod without these variables when the ${kind} is missing.` }),
    })
    .optional()
    .meta({ description: `Every key of a ${kind} as a variable.` });
export const envFromSourceSchema = z
  .object({
    prefix: z.string().max(256).optional().meta({ description: 'Prefix of every variable name taken from the source.' }),
    configMapRef: envFromSourceRef('ConfigMap'),
    secretRef: envFromSourceRef('Secret'),
  })
  .superRefine((source, ctx) => {
    if ((source.configMapRef === undefined) === (source.secretRef === undefined)) ctx.addIssue({ code: 'custom', message: oneSourceMessage, path: [] });
  })
  .meta({ description: 'A core/v1 EnvFromSource.', ...cel({ rule: 'has(self.configMapRef) != has(self.secretRef)', message: oneSourceMessage }) });
export const envFromSchema = z.array(envFromSourceSchema).max(16);

export type EnvVar = z.output<typeof envVarSchema>;
export type EnvFromSource = z.output<typeof envFromSourceSchema>;
export type Affinity = z.output<typeof affinitySchema>;

// Volumes: ConfigMaps and Secrets only (a CA bundle, a client certificate), mounted where the operator's own
// mounts are not.
/** Volume names of the operator's own (config, state, tmp in desired-cronjob.ts). */
export const reservedVolumeNames = ['config', 'state', 'tmp'] as const;
const reservedVolumeMessage = `names ${reservedVolumeNames.join(', ')} are the operator's own`;
const reservedPathMessage = "must be an absolute path outside /tmp, /etc/tenantsync and /var/lib/tenantsync (the operator's own mounts)";
const isFreeMountPath = (path: string) =>
  path.startsWith('/') && path !== '/tmp' && !path.startsWith('/tmp/') && !/^\/(etc|var\/lib)\/tenantsync(\/|$)/.test(path) && path !== '/dev/termination-log';

const volumeName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a volume name: lower-case letters, digits and -')
  .refine((name) => !(reservedVolumeNames as readonly string[]).includes(name), reservedVolumeMessage)
  .meta({
    description: `Volume name; ${reservedVolumeMessage}.`,
    ...cel({ rule: `!(self in [${reservedVolumeNames.map((n) => `'${n}'`).join(', ')}])`, message: reservedVolumeMessage }),
  });

const keyToPath = z
  .array(
    z
      .object({
        key: z.string().min(1).max(253).meta({ description: 'Key in the data.' }),
        path: z.string().min(1).max(253).meta({ description: 'File name (relative path) the key is written to.' }),
      })
      .meta({ description: 'One key as one file.' }),
  )
  .max(64)
  .optional()
  .meta({ description: 'Only these keys, as these files. Default: every key, named after it.' });

const oneVolumeSourceMessage = 'set exactly one of configMap and secret';
export const volumeSchema = z
  .object({
    name: volumeName,
    configMap: z
      .object({
        name: z.string().min(1).max(253).meta({ description: "Name of the ConfigMap in the tenant's namespace." }),
        items: keyToPath,
        optional: z.boolean().optional().meta({ description: 'Start the pod without it when the ConfigMap is missing.' }),
      })
      .optional()
      .meta({ description: 'A ConfigMap as files, e.g. a CA bundle.' }),
    secret: z
      .object({
        secretName: z.string().min(1).max(253).meta({ description: "Name of the Secret in the tenant's namespace." }),
        items: keyToPath,
        optional: z.boolean().optional().meta({ description: 'Start the pod without it when the Secret is missing.' }),
      })
      .optional()
      .meta({ description: 'A Secret as files, e.g. a client certificate.' }),
  })
  .superRefine((volume, ctx) => {
    if ((volume.configMap === undefined) === (volume.secret === undefined)) ctx.addIssue({ code: 'custom', message: oneVolumeSourceMessage, path: [] });
  })
  .meta({ description: 'A core/v1 Volume from a ConfigMap or a Secret.', ...cel({ rule: 'has(self.configMap) != has(self.secret)', message: oneVolumeSourceMessage }) });

export const volumeMountSchema = z
  .object({
    name: z.string().min(1).max(63).meta({ description: 'Name of the volume (in volumes) to mount.' }),
    mountPath: z
      .string()
      .min(1)
      .max(1024)
      .refine(isFreeMountPath, reservedPathMessage)
      .meta({
        description: `Where the volume appears in the sync container; ${reservedPathMessage}.`,
        ...cel({
          rule: "self.startsWith('/') && self != '/tmp' && !self.startsWith('/tmp/') && !self.matches('^/(etc|var/lib)/tenantsync(/|$)') && self != '/dev/termination-log'",
          message: reservedPathMessage,
        }),
      }),
    subPath: z.string().max(253).optional().meta({ description: 'A file or folder of the volume to mount instead of all of it.' }),
    readOnly: z.boolean().optional().meta({ description: 'Mount read-only (ConfigMap and Secret volumes always are).' }),
  })
  .meta({ description: 'A core/v1 VolumeMount.' });

/** `items` with unique values of `key`: the API server checks it through the list's map keys. */
function uniqueBy<T>(items: z.ZodType<T[]>, key: (item: T) => string, what: string) {
  return items.superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (seen.has(key(item))) ctx.addIssue({ code: 'custom', message: `duplicate ${what} ${key(item)}`, path: [i] });
      seen.add(key(item));
    });
  });
}
export const volumesSchema = uniqueBy(z.array(volumeSchema).max(16), (v) => v.name, 'volume');
export const volumeMountsSchema = uniqueBy(z.array(volumeMountSchema).max(16), (m) => m.mountPath, 'mountPath');
export type Volume = z.output<typeof volumeSchema>;
export type VolumeMount = z.output<typeof volumeMountSchema>;
