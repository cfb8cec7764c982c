/** The shape of bench/results/<timestamp>.json: one object per part, every number in named units. */

export interface Machine {
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  platform: string;
  node: string;
  tfjs: string;
  backend: string;
  tensorflow: string | null;
  keras: { python: string; keras: string; tensorflow: string } | null;
  /** 1-minute load average when the run started and ended: other work on the machine skews every number. */
  load_start: number;
  load_end: number;
  /** 1-minute load average as each part started. */
  load_at_part_start: Record<string, number>;
  tf_threads: { intra_op: string | null; inter_op: string | null };
}

/** One way of training one case. */
export interface RunResult {
  /** For a script: loading the data, building and fitting; for the service: submit → completed. */
  total_s: number;
  /** For a script: `model.fit` alone; for the service: the job's own started_at → finished_at. */
  fit_s: number;
  /** Training samples × epochs / fit_s. */
  samples_per_s: number;
  /** The last epoch's logs, under Keras's names. */
  metrics: Record<string, number>;
  /** Peak resident memory of the process that trained, MB (the service's: while this job ran). */
  peak_rss_mb: number | null;
  /** total_s of every run (`--repeat`); the numbers above are the median run's. */
  runs_total_s: number[];
}

export interface ServiceRunResult extends RunResult {
  job_id: string;
  /** The engine the job record says trained it. */
  engine: string | null;
  /** created_at → started_at of the job. */
  queue_wait_ms: number;
}

export interface TrainingCase {
  name: string;
  description: string;
  train_samples: number;
  validation_samples: number;
  epochs: number;
  batch_size: number;
  /** The service with `fit.engine: "graph"`. */
  service: ServiceRunResult | null;
  /** The service with `fit.engine: "eager"`: tfjs's layers API, as before the graph engine. */
  service_eager: ServiceRunResult | null;
  /** The graph engine (src/graph) called as a worker calls a trainer, in a process of its own: fit = the trainer call. */
  graph: RunResult | null;
  tfjs: RunResult | null;
  keras: RunResult | null;
  /** Issue 10's measure: the graph-engine job's started→finished over Keras's `fit`. */
  ratio_service_keras_fit: number | null;
  /** service (graph) total / Keras total: submit → completed against load + build + fit. */
  ratio_service_keras: number | null;
  /** service (eager) total / tfjs-script total: what the service adds around tfjs. */
  ratio_service_tfjs: number | null;
  /** The eager job's started→finished over the tfjs script's fit alone: what the service adds inside the worker. */
  ratio_service_job_tfjs_fit: number | null;
  /** The graph engine's fit over Keras's `fit`, and over the tfjs script's. */
  ratio_graph_keras_fit: number | null;
  ratio_graph_tfjs_fit: number | null;
  notes: string[];
}

export interface LatencySummary {
  count: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
}

export interface Throughput {
  workers: number;
  jobs: number;
  seconds: number;
  jobs_per_s: number;
}

export interface QueueResult {
  /** created_at → started_at, one job at a time, so no job waits for another. */
  latency: LatencySummary;
  /** submit → completed seen by the client, one job at a time. */
  round_trip: LatencySummary;
  throughput: Throughput[];
  notes: string[];
}

/**
 * What was loaded: `predict` POST /v1/models/{m}/predict, `v2` the Open Inference Protocol's
 * REST infer, `grpc` its gRPC ModelInfer, `tfserving` TensorFlow Serving's `:predict`, `bare`
 * a bare Fastify route answering /v1 predict's bytes.
 */
export type ServingTarget = 'predict' | 'v2' | 'grpc' | 'tfserving' | 'bare';

/** The protocols a new version must reach. */
export type ServingProtocol = 'v1' | 'v2' | 'grpc' | 'tfserving';

export interface LoadResult {
  target: ServingTarget;
  instances: number;
  connections: number;
  seconds: number;
  requests: number;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non_2xx: number;
  /** The response body's bytes; null for gRPC, whose messages are protobuf. */
  response_bytes: number | null;
}

/** From a job's finished_at to the first answer of each protocol that names its new version. */
export interface NewVersionDelay {
  protocol: ServingProtocol;
  /** What was asked until it named the new version. */
  probe: string;
  /** One per new version; an upper bound each: polling starts once the client has seen the job completed. */
  delays_ms: number[];
  max_ms: number;
}

/** Predict latency while the worker of the same `modelyard all` trains the MNIST CNN. */
export interface BusyServingResult {
  job: string;
  engine: string | null;
  connections: number;
  seconds: number;
  requests: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non_2xx: number;
}

export interface ServingResult {
  model: string;
  results: LoadResult[];
  /** Absent in reports from before the protocols were measured. */
  new_version?: NewVersionDelay[] | null;
  during_training: BusyServingResult | null;
  notes: string[];
}

export interface ProcessSnapshot {
  rss_mb: number;
  /** tf.memory().numTensors of the service process, when it exposes it. */
  num_tensors: number | null;
}

export interface MemoryPhase {
  what: string;
  count: number;
  before: ProcessSnapshot;
  after: ProcessSnapshot;
  rss_growth_mb: number;
  tensor_growth: number | null;
}

export interface MemoryResult {
  /** Which process was measured and how its tensor count was read. */
  process: string;
  tensor_source: string | null;
  phases: MemoryPhase[];
  /** VmHWM of the service process over the full-MNIST (MLP) job. */
  mnist_peak_rss_mb: number | null;
  notes: string[];
}

/** One sweep of the sweeps part. */
export interface SweepRun {
  workers: number;
  trials: number;
  epochs: number;
  parallelism: number;
  /** The sweep's created_at → finished_at. */
  seconds: number;
  trials_per_min: number;
  best_objective: number | null;
}

export interface SweepsResult {
  runs: SweepRun[];
  notes: string[];
}

/** Versions written and read through one artifact store. */
export interface ArtifactStoreRun {
  store: string;
  versions: number;
  version_bytes: number;
  write_s: number;
  read_s: number;
  writes_per_s: number;
  reads_per_s: number;
  write_mb_per_s: number;
  read_mb_per_s: number;
}

export interface ArtifactsResult {
  runs: ArtifactStoreRun[];
  notes: string[];
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean | null;
}

export interface BenchReport {
  mode: 'full' | 'quick';
  started_at: string;
  finished_s: number;
  machine: Machine;
  parts: string[];
  /** Runs of each training case by each runner (`--repeat`). */
  repeat: number;
  training: TrainingCase[] | null;
  queue: QueueResult | null;
  serving: ServingResult | null;
  memory: MemoryResult | null;
  sweeps: SweepsResult | null;
  artifacts: ArtifactsResult | null;
  targets: Target[];
  notes: string[];
}
