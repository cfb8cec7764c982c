import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport, RunResult, ServingTarget } from './report-types.js';

const num = (value: number | null | undefined, digits = 2) => (value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits));

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const metricsText = (metrics: Record<string, number>) =>
  Object.entries(metrics)
    .map(([key, value]) => `${key} ${value.toFixed(4)}`)
    .join(', ');

function machineSection(report: BenchReport): string {
  const m = report.machine;
  const keras = m.keras ? `Keras ${m.keras.keras} on TensorFlow ${m.keras.tensorflow} (Python ${m.keras.python})` : 'Keras not available';
  const threads = m.tf_threads.intra_op || m.tf_threads.inter_op ? `TF_NUM_INTRAOP_THREADS=${m.tf_threads.intra_op ?? ''} TF_NUM_INTEROP_THREADS=${m.tf_threads.inter_op ?? ''}` : 'TensorFlow thread pools at their defaults';
  return [
    `- ${m.cpus} × ${m.cpu_model}, ${m.memory_gb} GB memory, ${m.platform}`,
    `- Node ${m.node}, tfjs ${m.tfjs}, backend \`${m.backend}\`${m.tensorflow ? ` (TensorFlow ${m.tensorflow})` : ''}; ${keras}`,
    `- ${threads}`,
    `- load average (1 min): ${num(m.load_start)} at the start, ${Object.entries(m.load_at_part_start)
      .map(([part, load]) => `${num(load)} as ${part} started`)
      .join(', ')}${Object.keys(m.load_at_part_start).length ? ', ' : ''}${num(m.load_end)} at the end, on ${m.cpus} cores (the bench itself keeps one or two busy)`,
  ].join('\n');
}

function trainingSection(report: BenchReport): string {
  if (!report.training) return '_not run_';
  const rows: string[][] = [];
  for (const c of report.training) {
    const runners: [string, RunResult | null][] = [
      ['service (graph)', c.service],
      ['service (eager)', c.service_eager],
      ['graph engine alone', c.graph],
      ['tfjs script', c.tfjs],
      ['Keras', c.keras],
    ];
    for (const [runner, r] of runners) {
      if (!r) continue;
      const runs = report.repeat > 1 ? [r.runs_total_s.map((t) => t.toFixed(1)).join(', ')] : [];
      rows.push([c.name, runner, num(r.total_s, 1), ...runs, num(r.fit_s, 1), num(r.samples_per_s, 0), num(r.peak_rss_mb, 0), metricsText(r.metrics)]);
    }
  }
  const ratios = table(
    [
      'case',
      'train / val samples',
      'service (graph) fit / Keras fit',
      'service (graph) / Keras',
      'service (eager) / tfjs',
      'eager job fit / tfjs fit',
      'graph alone fit / Keras fit',
      'graph alone fit / tfjs fit',
      'service queue wait ms',
    ],
    report.training.map((c) => [
      c.name,
      `${c.train_samples} / ${c.validation_samples}`,
      num(c.ratio_service_keras_fit),
      num(c.ratio_service_keras),
      num(c.ratio_service_tfjs),
      num(c.ratio_service_job_tfjs_fit),
      num(c.ratio_graph_keras_fit),
      num(c.ratio_graph_tfjs_fit),
      num(c.service?.queue_wait_ms, 0),
    ]),
  );
  const descriptions = report.training.map((c) => `- \`${c.name}\`: ${c.description}`).join('\n');
  return [
    descriptions,
    '',
    'total: service = submit → completed seen by the client; scripts = load data + build + fit. fit: service = the job\'s started_at → finished_at; scripts = `model.fit` alone (for the graph engine alone, `trainOnGraph`, building the graph and session included). samples/s = training samples × epochs / fit. The service runs each case twice, with `fit.engine` `graph` and `eager`; the target is the graph job\'s fit over Keras\'s.',
    '',
    report.repeat > 1 ? `Each case ran ${report.repeat} times with each runner, in turn; the median run (by total) is shown.\n` : '',
    table(['case', 'runner', 'total s', ...(report.repeat > 1 ? ['every run\'s total s'] : []), 'fit s', 'samples/s', 'peak RSS MB', 'final epoch'], rows),
    '',
    ratios,
  ].join('\n');
}

function queueSection(report: BenchReport): string {
  const q = report.queue;
  if (!q) return '_not run_';
  return [
    table(
      ['measure', 'jobs', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'],
      [
        ['submit → worker start (created_at → started_at)', String(q.latency.count), num(q.latency.p50_ms, 1), num(q.latency.p99_ms, 1), num(q.latency.mean_ms, 1), num(q.latency.max_ms, 1)],
        ['submit → completed (client)', String(q.round_trip.count), num(q.round_trip.p50_ms, 1), num(q.round_trip.p99_ms, 1), num(q.round_trip.mean_ms, 1), num(q.round_trip.max_ms, 1)],
      ],
    ),
    '',
    table(
      ['workers', 'jobs', 'seconds', 'jobs/s'],
      q.throughput.map((t) => [String(t.workers), String(t.jobs), num(t.seconds), num(t.jobs_per_s, 1)]),
    ),
  ].join('\n');
}

function servingSection(report: BenchReport): string {
  const s = report.serving;
  if (!s) return '_not run_';
  const labels: Record<ServingTarget, string> = {
    predict: `POST /v1/models/${s.model}/predict`,
    v2: `POST /v2/models/${s.model}/infer (V2 REST)`,
    grpc: 'ModelInfer (V2 gRPC)',
    tfserving: `POST /v1/models/${s.model}:predict (TF Serving)`,
    bare: 'bare Fastify',
  };
  const bareFor = (instances: number, connections: number) =>
    s.results.find((r) => r.target === 'bare' && r.instances === instances && r.connections === connections);
  const loads = table(
    ['target', 'instances', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'response bytes', '% of bare'],
    s.results.map((r) => {
      const bare = bareFor(r.instances, r.connections);
      const share = r.target !== 'bare' && bare ? num((r.requests_per_s / bare.requests_per_s) * 100, 1) : '';
      return [labels[r.target], String(r.instances), String(r.connections), num(r.requests_per_s, 0), String(r.p50_ms), String(r.p99_ms), String(r.errors + r.non_2xx), r.response_bytes === null ? '—' : String(r.response_bytes), share];
    }),
  );
  if (!s.new_version) return loads;
  const delays = table(
    ['protocol', 'asked', 'ms after the job completed, each new version', 'max ms'],
    s.new_version.map((d) => [d.protocol, d.probe, d.delays_ms.map((ms) => String(ms)).join(', '), num(d.max_ms, 0)]),
  );
  return [loads, '', "A new version, from its job's finished_at to the first answer naming it (asked from when the client saw the job completed):", '', delays].join('\n');
}

function memorySection(report: BenchReport): string {
  const m = report.memory;
  if (!m) return '_not run_';
  return [
    `Process: ${m.process}. Tensor count: ${m.tensor_source ?? 'not exposed by the service'}.`,
    '',
    table(
      ['phase', 'count', 'RSS before MB', 'RSS after MB', 'RSS growth MB', 'tensors before', 'tensors after', 'tensor growth'],
      m.phases.map((p) => [p.what, String(p.count), num(p.before.rss_mb, 1), num(p.after.rss_mb, 1), num(p.rss_growth_mb, 1), String(p.before.num_tensors ?? '—'), String(p.after.num_tensors ?? '—'), String(p.tensor_growth ?? '—')]),
    ),
    '',
    `Peak RSS (VmHWM) of the service process and its training processes, summed, over the full-MNIST job: ${num(m.mnist_peak_rss_mb, 0)} MB.`,
  ].join('\n');
}

function sweepsSection(report: BenchReport): string {
  const s = report.sweeps;
  if (!s) return '_not run_';
  return table(
    ['workers', 'trials', 'epochs each', 'parallelism', 'seconds', 'trials/min', 'best val_loss'],
    s.runs.map((r) => [String(r.workers), String(r.trials), String(r.epochs), String(r.parallelism), num(r.seconds, 1), num(r.trials_per_min, 1), num(r.best_objective, 4)]),
  );
}

function artifactsSection(report: BenchReport): string {
  const a = report.artifacts;
  if (!a) return '_not run_';
  return table(
    ['store', 'versions', 'bytes each', 'writes/s', 'write MB/s', 'reads/s', 'read MB/s'],
    a.runs.map((r) => [r.store, String(r.versions), String(r.version_bytes), num(r.writes_per_s, 1), num(r.write_mb_per_s, 1), num(r.reads_per_s, 1), num(r.read_mb_per_s, 1)]),
  );
}

function targetsSection(report: BenchReport): string {
  const verdict = (met: boolean | null) => (met === null ? 'unknown' : met ? 'met' : '**not met**');
  return table(
    ['target', 'goal', 'measured', 'verdict'],
    report.targets.map((t) => [t.name, t.goal, t.value, verdict(t.met)]),
  );
}

export function renderMarkdown(report: BenchReport): string {
  const notes = [
    ...report.notes,
    ...(report.queue?.notes ?? []),
    ...(report.serving?.notes ?? []),
    ...(report.memory?.notes ?? []),
    ...(report.sweeps?.notes ?? []),
    ...(report.artifacts?.notes ?? []),
    ...(report.training?.flatMap((c) => c.notes.map((n) => `${c.name}: ${n}`)) ?? []),
  ];
  return [
    `# modelyard benchmark, ${report.started_at} (${report.mode}${report.mode === 'quick' ? ': tiny sizes, the targets do not apply' : ''})`,
    '',
    `${report.finished_s.toFixed(0)} s in all. Parts: ${report.parts.join(', ')}.`,
    '',
    '## Machine',
    machineSection(report),
    '',
    '## Targets',
    targetsSection(report),
    '',
    '## 1. Training: service, plain tfjs script, Keras',
    trainingSection(report),
    '',
    '## 2. Queue',
    queueSection(report),
    '',
    '## 3. Serving',
    servingSection(report),
    '',
    '## 4. Memory',
    memorySection(report),
    '',
    '## 5. Sweeps',
    sweepsSection(report),
    '',
    '## 6. Artifact stores',
    artifactsSection(report),
    '',
    '## Notes',
    notes.length ? notes.map((n) => `- ${n}`).join('\n') : '- none',
    '',
  ].join('\n');
}

/** Writes <out>/<timestamp>.json and .md; returns their paths. */
export function writeReport(report: BenchReport, out: string): { json: string; markdown: string; text: string } {
  mkdirSync(out, { recursive: true });
  const stamp = report.started_at.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-') + (report.mode === 'quick' ? '-quick' : '');
  const json = join(out, `${stamp}.json`);
  const markdown = join(out, `${stamp}.md`);
  const text = renderMarkdown(report);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, text);
  return { json, markdown, text };
}
