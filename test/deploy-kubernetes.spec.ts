import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseDocument } from 'yaml';
import { parseRelayConfig } from '../src/config/config-parser.js';

const dir = new URL('../deploy/kubernetes/', import.meta.url);
const read = (file: string): unknown => {
  const document = parseDocument(readFileSync(new URL(file, dir), 'utf8'));
  expect([file, document.errors]).toEqual([file, []]);
  return document.toJS() as unknown;
};

interface Kustomization {
  apiVersion: string;
  kind: string;
  resources: string[];
  images: { name: string; newTag: string }[];
}

const MODELS = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
} as const;

function model(file: string) {
  const raw = read(file) as { apiVersion: string; kind: string };
  const Model = MODELS[`${raw.apiVersion}/${raw.kind}` as keyof typeof MODELS];
  expect([file, Model === undefined]).toEqual([file, false]);
  return new Model(raw as never);
}

const kustomization = read('kustomization.yaml') as Kustomization;
const configMap = model('configmap.yaml') as ConfigMap;
const deployment = model('deployment.yaml') as Deployment;
const service = model('service.yaml') as Service;
const hpa = model('hpa.yaml') as HorizontalPodAutoscaler;
const pdb = model('pdb.yaml') as PodDisruptionBudget;
const opsService = model('ops-service.yaml') as Service;
const networkPolicy = model('networkpolicy.yaml') as NetworkPolicy;
const secretExample = model('secret.example.yaml') as Secret;
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0];
const podLabels = deployment.spec!.template.metadata!.labels!;

/** Every variable `.env.example` documents, set or commented out. */
const documentedVariables = new Set(
  [
    ...readFileSync(new URL('../.env.example', import.meta.url), 'utf8').matchAll(
      /^#?\s*([A-Z][A-Z0-9_]*)=/gm,
    ),
  ].map(([, name]) => name),
);
/** The app's operational routes, from the committed OpenAPI document. */
const openapi = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};

describe('deploy/kubernetes (issue #5.8)', () => {
  it('is a kustomize base listing every manifest but the example Secret', () => {
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(kustomization.kind).toBe('Kustomization');
    expect(kustomization.resources).toEqual([
      'configmap.yaml',
      'deployment.yaml',
      'service.yaml',
      'ops-service.yaml',
      'networkpolicy.yaml',
      'hpa.yaml',
      'pdb.yaml',
    ]);
    for (const file of kustomization.resources)
      expect([file, existsSync(new URL(file, dir))]).toEqual([file, true]);
    expect(kustomization.images).toEqual([
      { name: container.image, newTag: expect.stringMatching(/^\d+\.\d+\.\d+$/) },
    ]);
  });

  it.each([
    ['configmap.yaml', configMap],
    ['deployment.yaml', deployment],
    ['service.yaml', service],
    ['hpa.yaml', hpa],
    ['pdb.yaml', pdb],
    ['ops-service.yaml', opsService],
    ['networkpolicy.yaml', networkPolicy],
    ['secret.example.yaml', secretExample],
  ])('%s validates against the Kubernetes schema', (_file, manifest) => {
    expect(() => manifest.validate()).not.toThrow();
  });

  it('runs 3 replicas with resource requests and limits', () => {
    expect(deployment.spec!.replicas).toBe(3);
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
  });

  it("serves the relay on the app's port 9090, probing and scraping on the operations port 9091", () => {
    const defaults = parseRelayConfig({ AUTH_MODE: 'secret', JWT_SECRET: 'x'.repeat(32) });
    const base = parseRelayConfig({ ...configMap.data, JWT_SECRET: 'y'.repeat(32) });
    expect(container.ports).toEqual([
      { name: 'http', containerPort: defaults.port, protocol: 'TCP' },
      { name: 'ops', containerPort: base.opsPort, protocol: 'TCP' },
    ]);
    expect([defaults.port, base.port, base.opsPort]).toEqual([9090, 9090, 9091]);
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz/live', port: 'ops' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/healthz/ready', port: 'ops' });
    expect(deployment.spec!.template.metadata!.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(base.opsPort),
      'prometheus.io/path': '/metrics',
    });
    for (const path of ['/healthz/live', '/healthz/ready', '/metrics'])
      expect([path, Object.keys(openapi.paths[path] ?? {})]).toEqual([path, ['get']]);
    // The Service an ingress exposes carries the relay port only.
    expect(service.spec!.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect(opsService.spec!.ports).toEqual([
      { name: 'ops', port: 9091, targetPort: 'ops', protocol: 'TCP' },
    ]);
    expect(podLabels).toMatchObject(opsService.spec!.selector!);
  });

  it('admits the relay port from the ingress namespace and the operations port from the monitoring namespace only', () => {
    expect(networkPolicy.spec).toEqual({
      podSelector: { matchLabels: deployment.spec!.selector.matchLabels },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
              },
            },
          ],
          ports: [{ port: 'http', protocol: 'TCP' }],
        },
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
          ],
          ports: [{ port: 'ops', protocol: 'TCP' }],
        },
      ],
    });
  });

  it('runs locked down: non-root, read-only root filesystem, no privilege escalation, no capabilities', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('gives the graceful shutdown time: grace period above preStop + SHUTDOWN_TIMEOUT_MS', () => {
    const preStopSeconds = Number(container.lifecycle?.preStop?.exec?.command?.[1]);
    expect(container.lifecycle?.preStop?.exec?.command).toEqual(['sleep', String(preStopSeconds)]);
    const shutdownSeconds = Number(configMap.data?.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + shutdownSeconds);
  });

  it('only puts real, valid, non-secret configuration variables in the ConfigMap', () => {
    const keys = Object.keys(configMap.data ?? {});
    expect(keys.filter((key) => !documentedVariables.has(key))).toEqual([]);
    expect(keys).not.toContain('JWT_SECRET');
    // The ConfigMap plus a secret is a configuration the relay accepts.
    expect(() => parseRelayConfig({ ...configMap.data, JWT_SECRET: 'y'.repeat(32) })).not.toThrow();
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata!.name } }]);
  });

  it('takes JWT_SECRET from a Secret, which the base does not ship', () => {
    expect(container.env?.find((variable) => variable.name === 'JWT_SECRET')).toEqual({
      name: 'JWT_SECRET',
      valueFrom: { secretKeyRef: { name: secretExample.metadata!.name, key: 'JWT_SECRET' } },
    });
    expect(Object.keys(secretExample.stringData ?? {})).toEqual(['JWT_SECRET']);
    expect(kustomization.resources).not.toContain('secret.example.yaml');
  });

  it('points the Service, HPA and PDB at the Deployment', () => {
    expect(deployment.spec!.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'qualys-ioc-relay',
    });
    expect(podLabels).toMatchObject(deployment.spec!.selector.matchLabels!);
    expect(podLabels).toMatchObject(service.spec!.selector!);
    expect(podLabels).toMatchObject(pdb.spec!.selector!.matchLabels!);
    expect(hpa.spec?.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata!.name,
    });
    expect(hpa.spec?.minReplicas).toBe(3);
    expect(hpa.spec?.maxReplicas).toBeGreaterThan(3);
    expect(pdb.spec!.maxUnavailable).toBe(1);
  });
});

describe('deploy/kubernetes/components/redis (several replicas, spec §9)', () => {
  const component = read('components/redis/kustomization.yaml') as {
    apiVersion: string;
    kind: string;
    patches: { path: string; target: { kind: string; name: string } }[];
  };
  const deploymentPatch = read('components/redis/deployment-patch.yaml') as {
    spec: { template: { spec: { containers: { name: string; env: { name: string }[] }[] } } };
  };
  const configMapPatch = read('components/redis/configmap-patch.yaml') as {
    data: Record<string, string>;
  };
  const redisSecret = model('components/redis/secret.example.yaml') as Secret;

  /** The base Deployment with the component's env entries merged by container name, as kustomize does. */
  const patched = () => {
    const raw = JSON.parse(JSON.stringify(read('deployment.yaml'))) as {
      spec: { template: { spec: { containers: { name: string; env?: unknown[] }[] } } };
    };
    for (const patch of deploymentPatch.spec.template.spec.containers) {
      const target = raw.spec.template.spec.containers.find((c) => c.name === patch.name);
      expect(target).toBeDefined();
      target!.env = [...(target!.env ?? []), ...patch.env];
    }
    return new Deployment(raw as never);
  };

  it('is a kustomize Component patching the Deployment and the ConfigMap of the base', () => {
    expect([component.apiVersion, component.kind]).toEqual([
      'kustomize.config.k8s.io/v1alpha1',
      'Component',
    ]);
    expect(component.patches).toEqual([
      {
        path: 'deployment-patch.yaml',
        target: { kind: 'Deployment', name: deployment.metadata!.name },
      },
      {
        path: 'configmap-patch.yaml',
        target: { kind: 'ConfigMap', name: configMap.metadata!.name },
      },
    ]);
  });

  it('takes REDIS_URL and CACHE_ENCRYPTION_KEY from a Secret, and the result validates', () => {
    const result = patched();
    expect(() => result.validate()).not.toThrow();
    const env = result.spec!.template.spec!.containers[0].env ?? [];
    for (const name of ['REDIS_URL', 'CACHE_ENCRYPTION_KEY']) {
      expect(env.find((variable) => variable.name === name)).toEqual({
        name,
        valueFrom: { secretKeyRef: { name: redisSecret.metadata!.name, key: name } },
      });
    }
    expect(Object.keys(configMapPatch.data)).toEqual(['REDIS_KEY_PREFIX']);
    expect(() => redisSecret.validate()).not.toThrow();
  });

  it('documents its variables, and with the example Secret gives a configuration the relay accepts', () => {
    const keys = [
      ...Object.keys(configMapPatch.data),
      ...Object.keys(redisSecret.stringData ?? {}),
    ];
    expect(keys.filter((key) => !documentedVariables.has(key))).toEqual([]);
    const config = parseRelayConfig({
      ...configMap.data,
      ...configMapPatch.data,
      ...redisSecret.stringData,
      JWT_SECRET: 'y'.repeat(32),
    });
    expect(config.redis).toEqual({
      topology: { kind: 'server', url: redisSecret.stringData!.REDIS_URL },
      keyPrefix: 'qualys-relay:',
      encryptionKey: redisSecret.stringData!.CACHE_ENCRYPTION_KEY,
    });
  });
});

describe('deploy/kubernetes/components/corporate-network (egress proxy and corporate CA, spec §11)', () => {
  const component = read('components/corporate-network/kustomization.yaml') as {
    kind: string;
    patches: { path: string; target: { kind: string; name: string } }[];
  };
  const deploymentPatch = read('components/corporate-network/deployment-patch.yaml') as {
    spec: {
      template: {
        spec: {
          containers: { name: string; env: { name: string }[]; volumeMounts: unknown[] }[];
          volumes: unknown[];
        };
      };
    };
  };
  const configMapPatch = read('components/corporate-network/configmap-patch.yaml') as {
    data: Record<string, string>;
  };
  const egressSecret = model('components/corporate-network/secret.example.yaml') as Secret;

  it('patches the base Deployment and ConfigMap, and the result validates', () => {
    expect(component.kind).toBe('Component');
    expect(component.patches.map((patch) => patch.target)).toEqual([
      { kind: 'Deployment', name: deployment.metadata!.name },
      { kind: 'ConfigMap', name: configMap.metadata!.name },
    ]);
    const raw = JSON.parse(JSON.stringify(read('deployment.yaml'))) as {
      spec: { template: { spec: { containers: Record<string, unknown[]>[]; volumes: unknown[] } } };
    };
    const patch = deploymentPatch.spec.template.spec;
    const container = raw.spec.template.spec.containers[0];
    container.env = [...(container.env ?? []), ...patch.containers[0].env];
    container.volumeMounts = [
      ...(container.volumeMounts ?? []),
      ...patch.containers[0].volumeMounts,
    ];
    raw.spec.template.spec.volumes = [...raw.spec.template.spec.volumes, ...patch.volumes];
    expect(() => new Deployment(raw as never).validate()).not.toThrow();
    expect(() => egressSecret.validate()).not.toThrow();
  });

  it('takes the proxy URL from a Secret and points NODE_EXTRA_CA_CERTS at the mounted CA', () => {
    const [container] = deploymentPatch.spec.template.spec.containers;
    expect(container.env).toEqual([
      {
        name: 'HTTPS_PROXY',
        valueFrom: { secretKeyRef: { name: egressSecret.metadata!.name, key: 'HTTPS_PROXY' } },
      },
      { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/corporate/ca.crt' },
    ]);
    expect(container.volumeMounts).toEqual([
      { name: 'corporate-ca', mountPath: '/etc/ssl/corporate', readOnly: true },
    ]);
  });

  it('gives, with the example Secret, an egress configuration the relay accepts', () => {
    const config = parseRelayConfig({
      ...configMap.data,
      ...configMapPatch.data,
      ...egressSecret.stringData,
      NODE_EXTRA_CA_CERTS: '/etc/ssl/corporate/ca.crt',
      JWT_SECRET: 'y'.repeat(32),
    });
    expect(config.egress).toEqual({
      httpsProxy: 'http://relay:replace-me@proxy.corp.example:3128/',
      noProxy: ['.svc', '.cluster.local', '10.0.0.0/8'],
      extraCaFile: '/etc/ssl/corporate/ca.crt',
    });
  });
});

describe('V8 heap sizing (issue 12: peak RSS under load)', () => {
  it('is the same in the image and the Deployment, and readiness follows the heap limit', () => {
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    const image = /^ENV NODE_OPTIONS=(.*)$/m.exec(dockerfile)?.[1];
    expect(image).toBe('--max-old-space-size=160');
    expect(container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value).toBe(image);
    expect(configMap.data?.READINESS_MAX_HEAP_USED_MB).toBe('0'); // 90 % of that limit
  });
});
