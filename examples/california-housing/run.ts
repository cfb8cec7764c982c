// The seed's California housing example, through the service: on the built-in
// California housing data (all 20,640 rows), train Dense 16 / Dropout / Dense 16 /
// Dropout / Dense 1 on standardized features for 100 epochs with validation_split
// 0.25, print the final losses.
//
//   npm start                      # in another terminal
//   npm run example:housing
//
// MODELYARD_URL (default http://localhost:8080) and MODELYARD_API_KEY select the service.
const HOUSING = { builtin: 'california_housing' };
const base = process.env.MODELYARD_URL ?? 'http://localhost:8080';
const auth: Record<string, string> = process.env.MODELYARD_API_KEY ? { authorization: `Bearer ${process.env.MODELYARD_API_KEY}` } : {};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${payload.error?.message ?? ''}`);
  return payload;
}

interface Job {
  id: string;
  status: string;
  progress: { epoch: number; epochs: number };
  history: Record<string, (number | null)[]>;
  error: { message: string } | null;
}

async function main(): Promise<void> {
  const suffix = Date.now().toString(36);

  const model = await call<{ id: string; summary: { total_params: number } }>('POST', '/v1/models', {
    name: `california-housing-${suffix}`,
    architecture: {
      type: 'sequential',
      input_shape: [8],
      layers: [
        { type: 'Dense', units: 16, activation: 'relu' },
        { type: 'Dropout', rate: 0.1 },
        { type: 'Dense', units: 16, activation: 'relu' },
        { type: 'Dropout', rate: 0.1 },
        { type: 'Dense', units: 1 },
      ],
    },
    compile: { loss: 'mse' },
  });
  console.log(`model ${model.id}: ${model.summary.total_params} parameters`);

  let job = await call<Job>('POST', '/v1/jobs', {
    model: model.id,
    dataset: HOUSING,
    fit: { epochs: 100, batch_size: 32, validation_split: 0.25 },
    preprocessing: { standardize: true },
  });
  const started = Date.now();
  while (job.status === 'queued' || job.status === 'running') {
    await new Promise((r) => setTimeout(r, 2000));
    job = await call<Job>('GET', `/v1/jobs/${job.id}`);
    process.stdout.write(`\repoch ${job.progress.epoch}/${job.progress.epochs}`);
  }
  process.stdout.write('\n');
  if (job.status !== 'completed') throw new Error(`job ${job.status}: ${job.error?.message ?? ''}`);
  const last = (key: string) => job.history[key]?.at(-1);
  console.log(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s: loss ${last('loss')}, val_loss ${last('val_loss')}`);
  const evaluation = await call<{ metrics: Record<string, number> }>('POST', `/v1/models/${model.id}/evaluate`, { dataset: HOUSING });
  console.log(`evaluate on all 20,640 rows: loss ${evaluation.metrics.loss}`);
}

await main();
