import { z } from 'zod';
import { ROLES, type Role } from './api/access.js';
import { TRAINING_ENGINES } from './jobs/contract.js';
import { TENANT_PATTERN, type Tenant } from './registry/tenants.js';
import { BACKENDS } from './tf/backend.js';

const positiveInt = z.coerce.number().int().positive();

/** `*`, or an origin as browsers send it: scheme, host, port, no path. */
function isOrigin(value: string): boolean {
  if (value === '*') return true;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** One entry of API_KEYS: its secret, what it may do, and the one tenant whose records it sees (null: every record). */
export interface ApiKey {
  key: string;
  role: Role;
  tenant: Tenant;
}

const API_KEY_FORMAT = `expected KEY, KEY:ROLE or KEY:ROLE:TENANT, ROLE one of ${ROLES.join(', ')}`;

/**
 * `KEY` (an admin key, as before roles), `KEY:ROLE` or `KEY:ROLE:TENANT`; why
 * not, as a message that never quotes the entry, since any part of it may be
 * a mistyped secret.
 */
function parseApiKey(entry: string): ApiKey | string {
  const [key = '', role = 'admin', tenant, ...rest] = entry.split(':');
  if (!/^\S+$/.test(key) || rest.length > 0) return API_KEY_FORMAT;
  const known = ROLES.find((r) => r === role);
  if (!known) return `${API_KEY_FORMAT}; the ROLE is none of these`;
  if (tenant === undefined) return { key, role: known, tenant: null };
  if (!TENANT_PATTERN.test(tenant)) return `${API_KEY_FORMAT}; a TENANT is 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit`;
  if (known === 'admin') return `${API_KEY_FORMAT}; an admin key sees every tenant, so it takes no TENANT: give a tenant's keys the role train or predict`;
  return { key, role: known, tenant };
}

const ApiKeysSchema = z
  .string()
  .optional()
  .transform((value, context): ApiKey[] => {
    const entries = value ? value.split(',').map((entry) => entry.trim()).filter(Boolean) : [];
    const keys: ApiKey[] = [];
    entries.forEach((entry, i) => {
      const parsed = parseApiKey(entry);
      if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: `entry ${i + 1} of ${entries.length}: ${parsed}` });
      else keys.push(parsed);
    });
    if (new Set(keys.map(({ key }) => key)).size !== keys.length) context.addIssue({ code: 'custom', message: 'a key is listed twice' });
    return keys;
  });

/** Every setting, from the environment. Names are the variables; `.describe` feeds the README table. */
export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port of the API'),
  HOST: z.string().min(1).default('0.0.0.0').describe('address the API listens on'),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .describe('Redis for the queue and the registry; unset under `all`: 127.0.0.1:6379, or a private redis-server'),
  KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('modelyard').describe('prefix of every Redis key'),
  DATA_DIR: z.string().min(1).default('./data').describe('artifact store: trained weights and uploaded data'),
  ARTIFACT_STORE: z
    .url()
    .optional()
    .describe('artifact store as a URL: `file:///data`, or `s3://bucket/prefix` for an S3 bucket (S3_* settings); unset: the DATA_DIR folder'),
  S3_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('endpoint of an S3-compatible service (MinIO, Ceph, R2), such as `http://minio:9000`; unset: AWS S3. Credentials come from the AWS SDK\'s default chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws files, or an instance role'),
  S3_REGION: z.string().min(1).default('us-east-1').describe('region of the S3 bucket'),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('`true` addresses the bucket in the path (`endpoint/bucket/key`), as MinIO and most S3-compatible services need'),
  ARTIFACT_REDIRECT: z
    .enum(['api', 'presigned'])
    .default('api')
    .describe('how `GET …/versions/{v}/artifact/{file}` serves weights: `api` streams them through the API; `presigned` redirects to a short-lived URL of the S3 store (the file store always streams)'),
  DATASET_CACHE_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(256 * 1024 * 1024)
    .describe('a worker keeps the stored datasets it read from an S3 store, least recently used first out, up to this many bytes in memory; 0: none'),
  TF_BACKEND: z.enum(BACKENDS).optional().describe('force `tensorflow`, `wasm` or `cpu` instead of the best that loads'),
  WORKER_CONCURRENCY: positiveInt.default(1).describe('training jobs one worker runs at once'),
  TRAINING_ENGINE: z
    .enum(TRAINING_ENGINES)
    .default('auto')
    .describe('`graph` trains as one TensorFlow graph, `eager` op by op; `auto`: graph when the whole model lowers and the addon loads. A job\'s `fit.engine` overrides it'),
  GRAPH_THREADS: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('intra- and inter-op threads of a graph-engine session, 0 for every core; unset: 1 for dense models, every core for convolutions'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  MAX_PARAMS: positiveInt.default(50_000_000).describe('largest model accepted, in parameters'),
  MAX_LAYERS: positiveInt.default(500).describe('most layers in one model'),
  MAX_EPOCHS: positiveInt.default(10_000).describe('most epochs one job may ask for'),
  BODY_LIMIT: positiveInt.default(16 * 1024 * 1024).describe('largest JSON request body, bytes'),
  UPLOAD_LIMIT: positiveInt.default(256 * 1024 * 1024).describe('largest dataset upload (CSV, NumPy), bytes'),
  UPLOAD_PARSE_MEMORY_MB: positiveInt
    .default(256)
    .describe('heap of the worker thread that parses one upload, MB; an upload that needs more is refused with 413 (the arrays it builds are not counted)'),
  UPLOAD_PARSE_CONCURRENCY: positiveInt
    .default(2)
    .describe('uploads the API parses at once, each in a worker thread of its own; the others wait their turn, in order of arrival'),
  UPLOAD_PARSE_WAIT_MS: positiveInt
    .default(60_000)
    .describe('how long a received upload waits for a free parser (UPLOAD_PARSE_CONCURRENCY) before it is answered 503 `unavailable`'),
  JSON_UPLOAD_LIMIT: positiveInt
    .default(64 * 1024 * 1024)
    .describe('largest dataset uploaded as JSON, bytes (JSON is parsed whole, so it gets a lower limit)'),
  MAX_JSON_DEPTH: positiveInt.default(64).describe('deepest JSON body accepted, in nested objects and arrays; deeper is a 400 `nesting_too_deep`'),
  MAX_HEADER_BYTES: positiveInt
    .default(16 * 1024)
    .describe('largest request line and headers together, bytes; larger is a 431 `header_too_large`'),
  REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(300_000)
    .describe('a request (headers and body) not received in this time is answered 408 and its connection closed, so slow bodies cannot hold sockets; 0: no limit'),
  CONNECTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('a connection idle this long is closed, even mid-request (event streams send a heartbeat every 15 s); 0: no limit, as requests are bounded by REQUEST_TIMEOUT_MS'),
  MODEL_CACHE_SIZE: positiveInt.default(16).describe('trained versions kept loaded for predict'),
  JOB_ATTEMPTS: positiveInt.default(3).describe('times a job is taken again after its worker died'),
  JOB_LOCK_MS: positiveInt
    .default(10_000)
    .describe('a running job whose worker has not renewed its lock for this long is taken by another worker'),
  CHECKPOINT_EVERY: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('a running job saves a checkpoint (weights, optimizer state, history) every this many epochs, from which it resumes after its worker died; 0: only CHECKPOINT_AFTER_MS decides'),
  CHECKPOINT_AFTER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(60_000)
    .describe('a running job also saves a checkpoint after the first epoch that ends this long after its last one (or its start): every epoch once epochs take longer; 0: only CHECKPOINT_EVERY decides'),
  REDIS_WAIT_MS: positiveInt
    .default(60_000)
    .describe('how long a worker\'s registry writes wait for Redis to come back during an outage before its job fails'),
  RECONCILE_INTERVAL_MS: positiveInt
    .default(30_000)
    .describe('how often a worker checks queued and running jobs against the queue, failing those the queue failed or lost (also at its start), and advances unfinished sweeps'),
  SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(2_147_483_647)
    .default(600_000)
    .describe('how often a worker removes jobs and ended sweeps past JOB_RETENTION_MS, and files no record refers to (also at its start); 0: never'),
  JOB_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(2_592_000_000)
    .describe('finished jobs (completed, failed, cancelled) are removed, with their epochs and files, this long after they finished, and ended sweeps this long after they ended; their versions stay. 0 keeps them forever'),
  ORPHAN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(3_600_000)
    .describe('files no record refers to are removed only once nothing in them has changed for this long, so files being written (a version before its record, an upload) are kept; keep it above REDIS_WAIT_MS and the longest upload'),
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(6000).describe("requests one client may make per window on each port (the API's routes but health, TF Serving's, the gRPC model calls); 0 turns the limit off"),
  RATE_LIMIT_WINDOW_MS: positiveInt.default(60_000).describe('the rate limit window'),
  API_KEYS: ApiKeysSchema.describe(
    'comma-separated `KEY`, `KEY:ROLE` or `KEY:ROLE:TENANT` entries. ROLE `admin` (everything; a plain KEY), `train` (define models and datasets, run jobs, predict) or `predict` (serving and reading models). A TENANT (a-z, 0-9, `_`, `-`; not for admin keys) limits the key to the models, datasets, jobs and sweeps created with that tenant\'s keys; a key without one sees them all. When set, /v1, the /v2/models routes, TF Serving\'s /v1/models routes on TFSERVING_PORT, gRPC inference and /metrics need `Authorization: Bearer KEY`',
  ),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) => (value ? value.split(',').map((origin) => origin.trim()).filter(Boolean) : []))
    .pipe(z.array(z.string().refine(isOrigin, 'expected `*` or origins such as https://app.example.com, comma-separated')))
    .describe('comma-separated origins (`https://app.example.com`) browsers may call the API from, `*` for any; unset: CORS off'),
  GRPC_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8081)
    .describe('port of the Open Inference Protocol (V2) gRPC service, `inference.GRPCInferenceService`, on HOST; 0 disables it'),
  METRICS_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('the API serves Prometheus `/metrics` on this port only, with no key, instead of on PORT behind an admin key'),
  TFSERVING_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8501)
    .describe("TensorFlow Serving's REST API (`/v1/models/{name}…:predict`, its metadata and status) on this port, TensorFlow Serving's own default; 0 turns it off"),
  WORKER_METRICS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe('a worker-only process (`modelyard worker`) serves Prometheus `/metrics` on this port; unset: it serves none'),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

const SECRETS = new Set(['API_KEYS']);

/** Reads and validates the environment; a bad value names its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  const result = ConfigSchema.safeParse(known);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    // The message reaches the terminal and the logs: a secret is named, never shown.
    const shown = SECRETS.has(name) ? '[redacted]' : JSON.stringify(env[name]);
    return `${name}=${shown}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
