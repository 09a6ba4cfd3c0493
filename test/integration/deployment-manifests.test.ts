/**
 * Every deployment file in docker/ parsed and checked against the service itself: environment
 * names are settings of src/config.ts, each configuration loads with loadConfig (so a typo or a
 * value the service refuses fails here, not at 3 a.m.), ports agree with PORT, probes and health
 * checks call endpoints the real app answers, and the knowledge ConfigMap holds today's files.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { loadConfig, SETTINGS, type Config } from '../../src/config.js';
import {
  configMapYaml,
  deploymentSources,
  knowledgeFiles,
  KNOWLEDGE_CONFIGMAP,
  KNOWLEDGE_VOLUME,
  volumeSources,
} from '../../src/ops/k8s-knowledge.js';
import { cardsDir, projectRoot, rulesDir } from '../../src/paths.js';
import { only, readDockerfile, stageEnv } from '../support/dockerfile.js';
import { startService, type RunningService } from '../support/harness.js';

const dockerDir = join(projectRoot, 'docker');
const k8sDir = join(dockerDir, 'k8s');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

function readManifests(): Map<string, K8sObject[]> {
  const files = new Map<string, K8sObject[]>();
  for (const file of readdirSync(k8sDir).filter((f) => f.endsWith('.yaml'))) {
    const docs = parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8'));
    for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    files.set(
      file,
      docs.map((d) => d.toJS() as K8sObject),
    );
  }
  return files;
}

const manifests = readManifests();
const objects = [...manifests.values()].flat().filter((o) => o.kind !== 'Kustomization');
const find = <T = K8sObject>(kind: string, name?: string): T => {
  const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as T;
};

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}
interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string }[];
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; runAsNonRoot?: boolean };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: Container[];
        volumes: { name: string; projected?: { sources: { configMap?: { name: string } }[] }; emptyDir?: unknown }[];
      };
    };
  };
}

const deployment = find<Deployment>('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0] as Container;
const configMap = find<K8sObject & { data: Record<string, string> }>('ConfigMap', 'backpain-cds-config');
const secret = find<K8sObject & { stringData: Record<string, string> }>('Secret');
const k8sEnv = { ...configMap.data, ...secret.stringData };

let service: RunningService;
beforeAll(async () => {
  service = await startService();
});
afterAll(() => service.close());

/** The real app answers this path with 200 (probes must not point at a route that 404s). */
async function answers(path: string): Promise<number> {
  return (await fetch(`${service.url}${path}`)).status;
}

const memoryMi = (v: string): number => (v.endsWith('Gi') ? Number.parseFloat(v) * 1024 : Number.parseFloat(v));
const cpuMilli = (v: string): number => (v.endsWith('m') ? Number.parseFloat(v) : Number.parseFloat(v) * 1000);

describe('Kubernetes manifests (docker/k8s)', () => {
  test('kustomization lists every manifest file, and each file parses', () => {
    const kustomization = parseYaml(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...manifests.keys()].filter((f) => f !== 'kustomization.yaml').sort());
    for (const o of objects) {
      expect(o.apiVersion).toBeTruthy();
      expect(o.metadata.name).toMatch(/^backpain-cds/);
    }
  });

  test('every environment name is a setting of src/config.ts, and the configuration loads in the production profile', () => {
    for (const name of Object.keys(k8sEnv)) expect(SETTINGS.has(name) ? name : `${name} is not a setting`).toBe(name);
    expect(container.env ?? []).toEqual([]);
    expect(container.envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name).sort()).toEqual(
      [configMap.metadata.name, secret.metadata.name].sort(),
    );
    const config = loadConfig(k8sEnv);
    expect(config.BACKPAIN_PROFILE).toBe('production');
    expect(config.JWT_REQUIRED).toBe(true);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.DEMO_FHIR).toBe(false);
    expect(config.EXPLAIN).toBe(false);
    expect(config.PREVIEW).toBe(false);
  });

  test('the container port is PORT, and the probes call /healthz and /readyz on it, which the service answers', async () => {
    const config = loadConfig(k8sEnv);
    expect(container.ports).toEqual([
      { name: 'http', containerPort: config.PORT },
      { name: 'admin', containerPort: config.ADMIN_PORT },
    ]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    for (const probe of [container.livenessProbe, container.startupProbe, container.readinessProbe])
      expect(await answers(probe.httpGet.path)).toBe(200);
    const annotations = deployment.spec.template.metadata.annotations;
    // Metrics are on the admin listener in production, which the Service does not expose.
    expect(Number(annotations['prometheus.io/port'])).toBe(config.ADMIN_PORT);
    expect(config.ADMIN_HOST).toBe('0.0.0.0');
    expect(await answers(annotations['prometheus.io/path'] as string)).toBe(200);
  });

  test('requests and limits are set, within each other, and the pod runs unprivileged on a read-only root file system', () => {
    const { requests, limits } = container.resources;
    expect(cpuMilli(requests.cpu)).toBeLessThanOrEqual(cpuMilli(limits.cpu));
    expect(memoryMi(requests.memory)).toBeLessThanOrEqual(memoryMi(limits.memory));
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    // Node and PGlite may need a scratch folder; it is the only writable mount.
    expect(container.volumeMounts.find((m) => m.mountPath === '/tmp')).toBeDefined();
  });

  test('the grace period covers the preStop pause and SHUTDOWN_TIMEOUT_MS', () => {
    const config = loadConfig(k8sEnv);
    const pause = Number(container.lifecycle?.preStop?.exec?.command[1] ?? 0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(pause * 1000 + config.SHUTDOWN_TIMEOUT_MS);
  });

  test('Service, HorizontalPodAutoscaler and PodDisruptionBudget point at the Deployment', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect(Object.keys(deployment.spec.selector.matchLabels).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    const svc = find<K8sObject & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }>('Service');
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    expect(svc.spec.ports.map((p) => p.targetPort)).toEqual(['http']);
    const hpa = find<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number } }>(
      'HorizontalPodAutoscaler',
    );
    expect(hpa.spec.scaleTargetRef).toEqual(expect.objectContaining({ kind: 'Deployment', name: deployment.metadata.name }));
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const pdb = find<K8sObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>(
      'PodDisruptionBudget',
    );
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });

  test('the knowledge ConfigMap holds the current rule, value set and card files, laid out where RULES_DIR and CARDS_DIR point', () => {
    const files = knowledgeFiles({ rulesDir, cardsDir });
    const hint = 'out of date: run `npx backpain-cds k8s-knowledge`';
    expect(readFileSync(join(k8sDir, 'knowledge-configmap.yaml'), 'utf8') === configMapYaml(files) ? 'current' : hint).toBe('current');
    const sources = volumeSources(files);
    expect(deploymentSources(readFileSync(join(k8sDir, 'deployment.yaml'), 'utf8'))).toEqual(sources);
    // Every file once, in ConfigMaps of at most 1 MiB, all projected into the one knowledge volume.
    expect(sources.flatMap((s) => s.items.map((i) => i.path)).sort()).toEqual(files.map((f) => f.path).sort());
    for (const cm of objects.filter((m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith(KNOWLEDGE_CONFIGMAP))) {
      // The API server's limit: the keys and values of data together.
      const data = Object.entries((cm as K8sObject & { data: Record<string, string> }).data);
      expect(data.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0)).toBeLessThan(1_048_576);
    }
    const volume = pod.volumes.find((v) => v.name === KNOWLEDGE_VOLUME);
    expect(volume?.projected?.sources.map((s) => s.configMap?.name)).toEqual(sources.map((s) => s.name));
    expect(sources[0]?.name).toBe(KNOWLEDGE_CONFIGMAP);
    const mount = container.volumeMounts.find((m) => m.name === KNOWLEDGE_VOLUME)?.mountPath;
    const config = loadConfig(k8sEnv);
    expect(config.RULES_DIR).toBe(`${mount}/rules`);
    expect(config.CARDS_DIR).toBe(`${mount}/cards`);
  });
});

/** Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string | undefined) => {
    const v = vars[name];
    const unset = op?.startsWith(':') ? !v : v === undefined;
    if (!unset) return v as string;
    if (op?.endsWith('?')) throw new Error(`compose would stop: ${arg}`);
    return arg ?? '';
  });
}

function readEnvFile(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

interface ComposeService {
  build?: { context: string; dockerfile: string; target: string };
  image: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  read_only?: boolean;
  deploy?: { replicas?: number; resources?: { limits?: { memory?: string } } };
  depends_on?: Record<string, { condition: string }>;
}

const compose = parseYaml(readFileSync(join(dockerDir, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

describe('Compose (docker/compose.yaml)', () => {
  const cds = compose.services.cds as ComposeService;
  const production = {
    POSTGRES_PASSWORD: 'a-password',
    FEEDBACK_HMAC_SECRET: 'x'.repeat(32),
    PUBLIC_BASE_URL: 'https://cds.example.org',
    JWT_ISSUERS: k8sEnv.JWT_ISSUERS as string,
  };
  const envWith = (vars: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(cds.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));

  test('two replicas of the image built from docker/Dockerfile, read-only', () => {
    expect(cds.deploy?.replicas).toBe(2);
    expect(cds.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile', target: 'runtime' });
    expect(cds.read_only).toBe(true);
    expect(cds.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  test('every environment name is a setting; the configuration loads with your settings and with demo.env', () => {
    for (const name of Object.keys(cds.environment ?? {})) expect(SETTINGS.has(name) ? name : `${name} is not a setting`).toBe(name);
    const config: Config = loadConfig(envWith(production));
    expect(config.JWT_REQUIRED).toBe(true);
    const demo = loadConfig(envWith(readEnvFile(join(dockerDir, 'demo.env'))));
    expect(demo.JWT_REQUIRED).toBe(false);
    // The demo FHIR server is reachable by its compose name and port, and allowed.
    const fhir = compose.services.fhir as ComposeService;
    expect(fhir.profiles).toEqual(['demo']);
    expect(demo.FHIR_SERVER_ALLOWLIST).toContain(`http://fhir:${fhir.environment?.FHIR_PORT}/fhir`);
    // Without the secrets compose refuses to start rather than run with none.
    expect(() => envWith({})).toThrow(/POSTGRES_PASSWORD|FEEDBACK_HMAC_SECRET/);
  });

  test('DATABASE_URL names the compose PostgreSQL, and the knowledge folders are mounted where RULES_DIR and CARDS_DIR point', () => {
    const config = loadConfig(envWith(production));
    const env = envWith(production);
    const db = new URL(env.DATABASE_URL as string);
    const postgres = compose.services.postgres as ComposeService;
    expect(db.hostname).toBe('postgres');
    expect(db.pathname).toBe(`/${postgres.environment?.POSTGRES_DB}`);
    expect(db.username).toBe(postgres.environment?.POSTGRES_USER);
    const mounts = (cds.volumes ?? []).map((v) => interpolate(v, production).split(':')[1]);
    expect(mounts).toEqual(expect.arrayContaining([config.RULES_DIR, config.CARDS_DIR]));
  });

  test('nginx balances over the replicas on PORT, listens on the published port and keeps /metrics inside', () => {
    const nginx = readFileSync(join(dockerDir, 'nginx.conf'), 'utf8');
    const config = loadConfig(envWith(production));
    expect(nginx).toMatch(new RegExp(`server cds:${config.PORT} resolve;`));
    const listen = /listen (\d+);/.exec(nginx)?.[1];
    expect((compose.services.lb as ComposeService).ports?.[0]).toMatch(new RegExp(`:${listen}$`));
    expect(nginx).toMatch(/location = \/metrics \{ return 404; \}/);
    // The limit nginx puts on bodies is the service's own.
    expect(`${/client_max_body_size (\d+)m;/.exec(nginx)?.[1]}mb`).toBe(config.BODY_LIMIT);
    // The balancer's health check calls the service's readiness.
    expect(JSON.stringify((compose.services.lb as unknown as { healthcheck: unknown }).healthcheck)).toContain('/readyz');
  });
});

describe('Dockerfile (docker/Dockerfile)', () => {
  const dockerfile = readDockerfile(join(dockerDir, 'Dockerfile'));
  const runtime = dockerfile.stage('runtime');

  test(
    "ENV holds settings only (and Node's NODE_ENV and NODE_OPTIONS), and with " +
      'the secrets added the configuration loads in the production profile',
    () => {
      const env = stageEnv(runtime);
      for (const name of Object.keys(env))
        expect(SETTINGS.has(name) || name === 'NODE_ENV' || name === 'NODE_OPTIONS' ? name : `${name} is not a setting`).toBe(name);
      const config = loadConfig({ ...env, PUBLIC_BASE_URL: 'https://cds.example.org', JWT_ISSUERS: k8sEnv.JWT_ISSUERS as string });
      expect(config.BACKPAIN_PROFILE).toBe('production');
      expect(String(config.PORT)).toBe(only(runtime, 'EXPOSE').args);
      expect(config.HOST).toBe('0.0.0.0');
    },
  );

  test("the heap NODE_OPTIONS allows (old generation and three semi-spaces) leaves room in the pod's and compose's memory limit", () => {
    const options = stageEnv(runtime).NODE_OPTIONS ?? '';
    const old = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
    const semi = Number(/--max-semi-space-size=(\d+)/.exec(options)?.[1]);
    expect(old).toBeGreaterThan(0);
    expect(semi).toBeGreaterThan(0);
    const heap = old + 3 * semi;
    // Code, buffers outside the heap and the database driver need the rest; a third of the limit is a fair margin.
    expect(heap).toBeLessThanOrEqual(memoryMi(container.resources.limits.memory) * (2 / 3));
    expect(heap).toBeLessThanOrEqual(
      Number.parseFloat(String((compose.services.cds as ComposeService).deploy?.resources?.limits?.memory)) * (2 / 3),
    );
    // Node accepts every option (a typo in NODE_OPTIONS stops the container before it logs anything).
    const run = spawnSync(
      process.execPath,
      ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit >> 20))'],
      { env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: options }, encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    expect(Number(run.stdout)).toBe(heap);
  });

  test('the HEALTHCHECK calls an endpoint the service answers', async () => {
    const path = /\/healthz/.exec(only(runtime, 'HEALTHCHECK').args)?.[0] as string;
    expect(await answers(path)).toBe(200);
  });

  test('the Kubernetes Deployment and compose run this image as its own user', () => {
    expect(only(runtime, 'USER').args).toBe('node');
    // The node image's `node` user is uid 1000.
    expect(pod.securityContext.runAsUser).toBe(1000);
  });
});
