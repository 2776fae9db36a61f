import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { mintSessionId, replicaName } from '../src/cluster/replica.js';
import { ConfigSchema } from '../src/config/schema.js';

const root = join(import.meta.dirname, '..');
const deploy = join(root, 'deploy/kubernetes');

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
};

const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const load = (path: string): Doc[] =>
  parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Doc);

/**
 * What `kubectl kustomize` does with these files, as far as they use it: resources (files and
 * bases), strategic-merge patches of ConfigMap data, the namespace, replica counts and images. Used
 * where kubectl is absent, and compared with kubectl's output where it is present.
 */
const render = (dir: string): Doc[] => {
  const k = load(join(dir, 'kustomization.yaml'))[0] as unknown as {
    resources?: string[];
    patches?: { path: string }[];
    namespace?: string;
    replicas?: { name: string; count: number }[];
    images?: { name: string; newName?: string; newTag?: string }[];
  };
  const docs = (k.resources ?? []).flatMap((r) =>
    r.endsWith('.yaml') ? load(join(dir, r)) : render(join(dir, r)),
  );
  for (const patch of (k.patches ?? []).flatMap((p) => load(join(dir, p.path)))) {
    const target = docs.find(
      (d) => d.kind === patch.kind && d.metadata.name === patch.metadata.name,
    );
    if (!target) throw new Error(`patch of ${patch.kind}/${patch.metadata.name}: no such resource`);
    Object.assign(target['data'] as object, patch['data']);
  }
  for (const d of docs) {
    if (k.namespace && d.kind !== 'Namespace') d.metadata.namespace = k.namespace;
    const count = k.replicas?.find((r) => r.name === d.metadata.name)?.count;
    if (count !== undefined && d.kind === 'Deployment')
      (d['spec'] as { replicas: number }).replicas = count;
  }
  return docs;
};

const rendered = (dir: string): Doc[] =>
  hasKubectl
    ? parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map(
        (d) => d.toJS() as Doc,
      )
    : render(dir);

/** The Kubernetes schemas (kubernetes-models) of the API groups the manifests use. */
const GROUPS: Record<string, object> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
};

/** Validates one object against the Kubernetes OpenAPI schema of its kind. */
const validate = (doc: Doc): void => {
  const models = GROUPS[doc.apiVersion] as
    Record<string, new (data: unknown) => { validate(): void }> | undefined;
  const Model = models?.[doc.kind];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
};

const names = (docs: Doc[]) => docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();

describe.each(['base', 'overlays/example'])('the Kubernetes manifests in %s', (where) => {
  const dir = join(deploy, where);
  const docs = rendered(dir);

  it('render, and every object is valid against the Kubernetes schema of its kind', () => {
    expect(names(docs)).toEqual(names(render(dir))); // the fallback renders what kubectl does
    for (const doc of docs) validate(doc);
    // The check can fail: a mistyped field is refused.
    const deployment = docs.find((d) => d.kind === 'Deployment') as Doc;
    const broken = { ...deployment, spec: { ...(deployment['spec'] as object), replicas: 'two' } };
    expect(() => validate(broken)).toThrow(/replicas/);
  });

  it('run toolgate non-root on a read-only root filesystem under seccomp, with probes and resources', () => {
    const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'toolgate');
    const pod = (deployment?.['spec'] as { template: { spec: Record<string, unknown> } }).template
      .spec;
    const [container] = pod['containers'] as Record<string, Record<string, unknown>>[];
    expect(pod['securityContext']).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container?.['securityContext']).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.['readinessProbe']).toMatchObject({ httpGet: { path: '/readyz' } });
    expect(container?.['livenessProbe']).toMatchObject({ httpGet: { path: '/healthz' } });
    expect(container?.['resources']).toMatchObject({ requests: { cpu: expect.any(String) } });
    // The Services, the PDB and the NetworkPolicy pick toolgate's own pods (not the session router's).
    const labels = (deployment?.['spec'] as { template: { metadata: { labels: object } } }).template
      .metadata.labels;
    const spec = (kind: string, name: string) =>
      docs.find((d) => d.kind === kind && d.metadata.name === name)?.['spec'] as Record<
        string,
        { matchLabels?: object }
      >;
    for (const selector of [
      spec('Service', 'toolgate')['selector'],
      spec('Service', 'toolgate-replicas')['selector'],
      spec('PodDisruptionBudget', 'toolgate')['selector']?.matchLabels,
      spec('NetworkPolicy', 'toolgate')['podSelector']?.matchLabels,
    ]) {
      expect(selector).toBeDefined();
      expect(labels).toMatchObject(selector as object);
      expect(selector).toMatchObject({ 'app.kubernetes.io/component': 'gateway' });
    }
  });
});

describe('the example overlay', () => {
  const docs = rendered(join(deploy, 'overlays/example'));
  const data = (name: string) =>
    docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === name)?.['data'] as Record<
      string,
      string
    >;

  it('[CLU-6] carries a toolgate config that toolgate accepts, with the shared stores set', () => {
    const [config] = parseAllDocuments(data('toolgate-config')['toolgate.yaml'] ?? '');
    const parsed = ConfigSchema.safeParse(config?.toJS());
    expect(parsed.error).toBeUndefined();
    expect(parsed.data).toMatchObject({ audit: { store: 'postgres' }, cluster: {} });
  });

  it('[CLU-6] routes a session id toolgate mints to the pod that minted it, and nothing else to a pod', () => {
    const conf = data('toolgate-session-router')['default.conf'] ?? '';
    const pattern = /"~(\^.*\$)" "\$replica\./.exec(conf)?.[1] ?? '';
    const route = new RegExp(pattern); // PCRE and JavaScript read this one alike
    const id = mintSessionId(replicaName('10.244.1.17'));
    expect(route.exec(id)?.groups?.['replica']).toBe('10-244-1-17');
    for (const hostile of [
      'evil.example.com.' + id,
      `10-244-1-17.x`,
      `${id}/../`,
      'a-b-c-d.' + id.split('.')[1],
    ])
      expect(route.test(hostile)).toBe(false);
  });
});
