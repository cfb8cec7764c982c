import type { BenchReport, ServingTarget, Target } from './report-types.js';

export const LIMITS = {
  serviceOverTfjs: 1.1,
  queueP50Ms: 50,
  /** Issue 11: /v1 predict's requests per second at `servingConnections` over the bare route's, by instances per request. */
  predictShareOfBare: { 1: 0.5, 256: 0.4 } as Record<number, number>,
  /** Issue 11: /v1 predict p99 at 16 connections, one instance. */
  predictP99Ms: 5,
  predictP99Connections: 16,
  /** Issue 11: V2 REST infer's requests per second within 10% of /v1 predict's. */
  v2ShareOfV1: 0.9,
  /** Issue 11: a new version served on every protocol within this long of its job completing. */
  newVersionMs: 100,
  mnistPeakRssMb: 1536,
  /** Issue 10: the service's fit time on the graph engine over Keras's, per case. */
  graphOverKeras: { iris: 0.25, mnist_mlp: 0.5, mnist_cnn: 0.9, california_housing: 0.5 } as Record<string, number>,
  servingConnections: 64,
  /** Issue 10: predict p99 of the API while `modelyard all` trains the MNIST CNN. */
  busyPredictP99Ms: 20,
};

const fixed = (value: number, digits = 2) => value.toFixed(digits);

/** Each target of the issue, met or not; `met: null` where the run could not measure it. */
export function evaluateTargets(report: Omit<BenchReport, 'targets'>): Target[] {
  const targets: Target[] = [];

  for (const name of ['mnist_mlp', 'mnist_cnn']) {
    const found = report.training?.find((c) => c.name === name);
    const ratio = found?.ratio_service_tfjs ?? null;
    targets.push({
      name: `${name}: service (eager engine) / tfjs-script training time`,
      goal: `<= ${LIMITS.serviceOverTfjs} (submit → completed over the script's load + build + fit)`,
      value: ratio === null ? 'not measured' : `${fixed(ratio)} (job started → finished over fit alone: ${fixed(found?.ratio_service_job_tfjs_fit ?? Number.NaN)})`,
      met: ratio === null ? null : ratio <= LIMITS.serviceOverTfjs,
    });
  }

  for (const [name, limit] of Object.entries(LIMITS.graphOverKeras)) {
    const ratio = report.training?.find((c) => c.name === name)?.ratio_service_keras_fit ?? null;
    targets.push({
      name: `${name}: service (graph engine) job fit / Keras fit time`,
      goal: `<= ${limit}`,
      value: ratio === null ? 'not measured' : fixed(ratio),
      met: ratio === null ? null : ratio <= limit,
    });
  }

  const p50 = report.queue?.latency.p50_ms ?? null;
  targets.push({
    name: 'queue latency p50 (created → started)',
    goal: `< ${LIMITS.queueP50Ms} ms`,
    value: p50 === null ? 'not measured' : `${fixed(p50, 1)} ms (p99 ${fixed(report.queue?.latency.p99_ms ?? Number.NaN, 1)} ms)`,
    met: p50 === null ? null : p50 < LIMITS.queueP50Ms,
  });

  const results = report.serving?.results ?? [];
  const row = (target: ServingTarget, instances: number, connections: number) =>
    results.find((r) => r.target === target && r.instances === instances && r.connections === connections);
  const c = LIMITS.servingConnections;
  const instanceCounts = [...new Set(results.map((r) => r.instances))];
  for (const instances of instanceCounts.length ? instanceCounts : [1, 256]) {
    const predict = row('predict', instances, c);
    const bare = row('bare', instances, c);
    const share = predict && bare ? predict.requests_per_s / bare.requests_per_s : null;
    const limit = LIMITS.predictShareOfBare[instances] ?? LIMITS.predictShareOfBare[1] ?? 0.5;
    targets.push({
      name: `predict req/s at concurrency ${c}, ${instances} instance(s), vs bare Fastify`,
      goal: `>= ${limit * 100}% of the bare route`,
      value: share === null ? 'not measured' : `${fixed(share * 100, 1)}% (${fixed(predict?.requests_per_s ?? 0, 0)} vs ${fixed(bare?.requests_per_s ?? 0, 0)} req/s)`,
      met: share === null ? null : share >= limit,
    });
    const v2 = row('v2', instances, c);
    const v2Share = v2 && predict ? v2.requests_per_s / predict.requests_per_s : null;
    targets.push({
      name: `V2 REST infer req/s at concurrency ${c}, ${instances} instance(s), vs /v1 predict`,
      goal: `>= ${LIMITS.v2ShareOfV1 * 100}% of /v1 predict (within ${fixed((1 - LIMITS.v2ShareOfV1) * 100, 0)}%)`,
      value: v2Share === null ? 'not measured' : `${fixed(v2Share * 100, 1)}% (${fixed(v2?.requests_per_s ?? 0, 0)} vs ${fixed(predict?.requests_per_s ?? 0, 0)} req/s)`,
      met: v2Share === null ? null : v2Share >= LIMITS.v2ShareOfV1,
    });
  }

  const at16 = row('predict', 1, LIMITS.predictP99Connections);
  targets.push({
    name: `predict p99 at concurrency ${LIMITS.predictP99Connections}, 1 instance`,
    goal: `<= ${LIMITS.predictP99Ms} ms`,
    value: at16 ? `${fixed(at16.p99_ms, 0)} ms (p50 ${fixed(at16.p50_ms, 0)} ms)` : 'not measured',
    met: at16 ? at16.p99_ms <= LIMITS.predictP99Ms : null,
  });

  for (const delay of report.serving?.new_version ?? [{ protocol: 'every protocol', probe: '', delays_ms: [], max_ms: Number.NaN }]) {
    const measured = delay.delays_ms.length > 0;
    targets.push({
      name: `a new version served over ${delay.protocol} after its job completed`,
      goal: `<= ${LIMITS.newVersionMs} ms`,
      value: measured ? `${fixed(delay.max_ms, 0)} ms at most over ${delay.delays_ms.length} version(s) (${delay.delays_ms.map((d) => fixed(d, 0)).join(', ')} ms; ${delay.probe})` : 'not measured',
      met: measured ? delay.max_ms <= LIMITS.newVersionMs : null,
    });
  }

  const busy = report.serving?.during_training ?? null;
  targets.push({
    name: 'predict p99 during an MNIST CNN job (modelyard all)',
    goal: `< ${LIMITS.busyPredictP99Ms} ms`,
    value: busy === null ? 'not measured' : `${fixed(busy.p99_ms, 0)} ms (p50 ${fixed(busy.p50_ms, 0)} ms, ${busy.requests} predictions, ${busy.engine ?? '?'} engine)`,
    met: busy === null ? null : busy.p99_ms < LIMITS.busyPredictP99Ms,
  });

  for (const phase of report.memory?.phases ?? [{ what: 'predictions and training jobs', tensor_growth: null }]) {
    targets.push({
      name: `no tensor growth: ${phase.what}`,
      goal: 'numTensors after = before',
      value: phase.tensor_growth === null ? 'unknown: the service exposes no tensor count' : `${phase.tensor_growth >= 0 ? '+' : ''}${phase.tensor_growth} tensors`,
      met: phase.tensor_growth === null ? null : phase.tensor_growth === 0,
    });
  }

  const peak = report.memory?.mnist_peak_rss_mb ?? null;
  targets.push({
    name: 'worker peak RSS on full MNIST',
    goal: `< ${LIMITS.mnistPeakRssMb} MB (1.5 GB)`,
    value: peak === null ? 'not measured' : `${fixed(peak, 0)} MB`,
    met: peak === null ? null : peak < LIMITS.mnistPeakRssMb,
  });
  return targets;
}
