import type { BenchReport, Target } from './report-types.js';

export const LIMITS = {
  serviceOverTfjs: 1.1,
  queueP50Ms: 50,
  predictShareOfBare: 0.5,
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

  const instanceCounts = [...new Set(report.serving?.results.map((r) => r.instances) ?? [])];
  for (const instances of instanceCounts.length ? instanceCounts : [1]) {
    const at = (target: 'predict' | 'bare') =>
      report.serving?.results.find((r) => r.target === target && r.instances === instances && r.connections === LIMITS.servingConnections);
    const predict = at('predict');
    const bare = at('bare');
    const share = predict && bare ? predict.requests_per_s / bare.requests_per_s : null;
    targets.push({
      name: `predict req/s at concurrency ${LIMITS.servingConnections}, ${instances} instance(s), vs bare Fastify`,
      goal: `>= ${LIMITS.predictShareOfBare * 100}% of the bare route`,
      value: share === null ? 'not measured' : `${fixed(share * 100, 1)}% (${fixed(predict?.requests_per_s ?? 0, 0)} vs ${fixed(bare?.requests_per_s ?? 0, 0)} req/s)`,
      met: share === null ? null : share >= LIMITS.predictShareOfBare,
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
