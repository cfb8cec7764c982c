import type { ServiceClient } from './client.js';
import type { V2GrpcClient } from './grpc-load.js';
import { log } from './log.js';
import type { NewVersionDelay, ServingProtocol } from './report-types.js';

export interface NewVersionContext {
  client: ServiceClient;
  grpc: V2GrpcClient;
  tfservingUrl: string;
  model: string;
  /** One flower: what the inference probes send. */
  flower: number[];
}

/** Each protocol's question, answered by the version it serves now. */
function probes(ctx: NewVersionContext): Record<ServingProtocol, { what: string; version: () => Promise<number> }> {
  const { client, model, flower } = ctx;
  return {
    v1: {
      what: `POST /v1/models/${model}/predict`,
      version: async () => (await client.expect<{ version: number }>(200, 'POST', `/v1/models/${model}/predict`, { instances: [flower] })).version,
    },
    v2: {
      what: `POST /v2/models/${model}/infer`,
      version: async () => {
        const body = { inputs: [{ name: 'input', shape: [1, flower.length], datatype: 'FP32', data: flower }] };
        return Number((await client.expect<{ model_version: string }>(200, 'POST', `/v2/models/${model}/infer`, body)).model_version);
      },
    },
    grpc: {
      what: 'gRPC ModelInfer',
      version: async () => {
        const request = { model_name: model, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, flower.length], contents: { fp32_contents: flower } }] };
        return Number((await ctx.grpc.call<{ model_version: string }>('ModelInfer', request)).model_version);
      },
    },
    tfserving: {
      what: `GET TFSERVING_PORT /v1/models/${model}/metadata`,
      version: async () => {
        const response = await fetch(`${ctx.tfservingUrl}/v1/models/${model}/metadata`);
        if (response.status !== 200) throw new Error(`TF Serving metadata answered ${response.status}: ${await response.text()}`);
        return Number(((await response.json()) as { model_spec: { version: string } }).model_spec.version);
      },
    },
  };
}

/** Asks until the answer names `version`; the wall-clock time (ms since the epoch) of that answer. */
async function firstAnswerWith(version: number, ask: () => Promise<number>, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await ask()) === version) return Date.now();
    if (Date.now() > deadline) throw new Error(`version ${version} was not served within ${timeoutMs} ms of its job completing`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Trains `rounds` new versions of the model, one at a time (a few epochs each),
 * and times each from its job's finished_at to the first answer naming it, on
 * every protocol at once. The client starts asking once it has seen the job
 * completed (its event stream's end), so each delay is an upper bound; the
 * service and the bench share one clock.
 */
export async function measureNewVersions(ctx: NewVersionContext, rounds: number): Promise<NewVersionDelay[]> {
  const asked = probes(ctx);
  const protocols = Object.keys(asked) as ServingProtocol[];
  const delays = new Map<ServingProtocol, number[]>(protocols.map((protocol) => [protocol, []]));
  for (let round = 0; round < rounds; round++) {
    const { record } = await ctx.client.train({ model: ctx.model, dataset: { builtin: 'iris' }, fit: { epochs: 2, batch_size: 32 } });
    const version = record.version;
    if (typeof version !== 'number') throw new Error(`job ${record.id} completed without a version`);
    const finished = Date.parse(record.finished_at ?? '');
    const seen = await Promise.all(protocols.map((protocol) => firstAnswerWith(version, asked[protocol].version)));
    seen.forEach((at, i) => delays.get(protocols[i] as ServingProtocol)?.push(at - finished));
    log(`new version ${version}: served ${protocols.map((protocol, i) => `${protocol} ${(seen[i] as number) - finished} ms`).join(', ')} after its job completed`);
  }
  return protocols.map((protocol) => {
    const measured = delays.get(protocol) ?? [];
    return { protocol, probe: asked[protocol].what, delays_ms: measured, max_ms: Math.max(...measured) };
  });
}
