import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { parseDocument } from 'yaml';
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js';

/**
 * Spec §14, dashboards and alerts: the Grafana dashboard and the
 * PrometheusRule name only the relay's metrics and `up`, and every relay
 * metric they name exists in a live `/metrics`.
 */
const deploy = new URL('../deploy/', import.meta.url);
const readYaml = (path: string) => {
  const document = parseDocument(readFileSync(new URL(path, deploy), 'utf8'));
  expect([path, document.errors]).toEqual([path, []]);
  return document.toJS() as unknown;
};

interface Dashboard {
  title: string;
  uid: string;
  panels: { title: string; targets: { expr: string }[] }[];
}
interface PrometheusRule {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    groups: {
      name: string;
      rules: {
        alert: string;
        expr: string;
        for: string;
        labels: { severity: string };
        annotations: { summary: string; description: string };
      }[];
    }[];
  };
}

const dashboard = JSON.parse(
  readFileSync(new URL('grafana/qualys-ioc-relay.json', deploy), 'utf8'),
) as Dashboard;
const rule = readYaml('kubernetes/components/monitoring/prometheusrule.yaml') as PrometheusRule;
const component = readYaml('kubernetes/components/monitoring/kustomization.yaml') as {
  apiVersion: string;
  kind: string;
  resources: string[];
};
const serviceMonitor = readYaml('kubernetes/components/monitoring/servicemonitor.yaml') as {
  apiVersion: string;
  kind: string;
  spec: { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] };
};
const opsService = readYaml('kubernetes/ops-service.yaml') as {
  metadata: { labels: Record<string, string> };
};

const expressions = [
  ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
  ...rule.spec.groups.flatMap((group) => group.rules.map((each) => each.expr)),
];

/** Series names in PromQL: an identifier followed by a selector `{` or a range `[`. */
function seriesNames(expr: string): string[] {
  return [...expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/g)].map(([, name]) => name);
}

/** A histogram's `_bucket`, `_sum` and `_count` are the histogram's own metric. */
const metricOf = (series: string) => series.replace(/_(bucket|sum|count)$/, '');

describe('deploy/grafana and components/monitoring', () => {
  let relay: RelayHarness;

  beforeAll(async () => {
    relay = await startRelayHarness();
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('name only the relay’s metrics and up', () => {
    const names = new Set(expressions.flatMap(seriesNames));
    expect([...names].filter((name) => name !== 'up' && !name.startsWith('relay_'))).toEqual([]);
    expect(names.has('up')).toBe(true);
  });

  it('name only metrics that a live /metrics exposes', async () => {
    const metrics = (await request(relay.url).get('/metrics').expect(200)).text;
    const exposed = new Set([...metrics.matchAll(/^# TYPE (\S+) /gm)].map(([, name]) => name));
    const named = [...new Set(expressions.flatMap(seriesNames).map(metricOf))]
      .filter((name) => name.startsWith('relay_'))
      .sort();
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('chart requests, errors, latency, Qualys calls, queue, refusals, budget, cache and Redis', () => {
    expect(dashboard.uid).toBe('qualys-ioc-relay');
    expect(dashboard.panels.map((panel) => panel.title)).toEqual([
      'Replicas up',
      'Relay requests / s',
      'Lowest rate budget left',
      'Replicas with Redis down',
      'Requests by route and status',
      'Errors by status code',
      'Latency of relay routes',
      'Qualys calls by outcome',
      'Qualys call latency (p95)',
      'Queue: calls waiting for a slot, searches in flight',
      'Qualys refusals by kind',
      'Rate budget',
      'Result cache and coalescing',
      'Qualys token cache',
      'Redis state (replicas per state)',
    ]);
  });

  it('alert on error rate, spent budget, Redis down and a replica down', () => {
    expect([rule.apiVersion, rule.kind]).toEqual(['monitoring.coreos.com/v1', 'PrometheusRule']);
    const rules = rule.spec.groups.flatMap((group) => group.rules);
    expect(rules.map((each) => each.alert)).toEqual([
      'QualysRelayErrorRate',
      'QualysRelayRateBudgetExhausted',
      'QualysRelayRedisDown',
      'QualysRelayReplicaDown',
      'QualysRelayAbsent',
    ]);
    for (const each of rules) {
      expect([each.alert, /^\d+m$/.test(each.for), each.labels.severity !== undefined]).toEqual([
        each.alert,
        true,
        true,
      ]);
      expect(each.annotations.summary.length).toBeGreaterThan(10);
    }
  });

  it('ship as an optional kustomize component whose ServiceMonitor scrapes the operations Service', () => {
    expect([component.apiVersion, component.kind]).toEqual([
      'kustomize.config.k8s.io/v1alpha1',
      'Component',
    ]);
    expect(component.resources).toEqual(['servicemonitor.yaml', 'prometheusrule.yaml']);
    for (const file of component.resources) {
      const url = new URL(`kubernetes/components/monitoring/${file}`, deploy);
      expect([file, existsSync(url)]).toEqual([file, true]);
    }
    expect([serviceMonitor.apiVersion, serviceMonitor.kind]).toEqual([
      'monitoring.coreos.com/v1',
      'ServiceMonitor',
    ]);
    expect(opsService.metadata.labels).toMatchObject(serviceMonitor.spec.selector.matchLabels);
    expect(serviceMonitor.spec.endpoints).toEqual([
      { port: 'ops', path: '/metrics', interval: '30s' },
    ]);
  });
});
