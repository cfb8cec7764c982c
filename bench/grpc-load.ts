import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_OPTIONS, PROTO_PATH } from '../src/api/grpc-server.js';
import { quantile } from './stats.js';

/** The V2 gRPC service's client, generated from the committed .proto as the protocol's clients generate it. */
export class V2GrpcClient {
  private readonly client: grpc.Client;

  constructor(address: string) {
    const definition = protoLoader.loadSync(PROTO_PATH, PROTO_OPTIONS);
    const { inference } = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };
    this.client = new inference.GRPCInferenceService(address, grpc.credentials.createInsecure());
  }

  /** One unary call; its response as proto-loader decodes it with PROTO_OPTIONS. */
  call<T>(method: 'ModelInfer' | 'ModelMetadata', request: object): Promise<T> {
    const rpc = (this.client as unknown as Record<string, (request: object, callback: (error: grpc.ServiceError | null, response: T) => void) => void>)[method];
    if (!rpc) throw new Error(`the generated client has no ${method}`);
    return new Promise((resolve, reject) => rpc.call(this.client, request, (error, response) => (error ? reject(error) : resolve(response))));
  }

  close(): void {
    this.client.close();
  }
}

export interface GrpcLoadResult {
  seconds: number;
  requests: number;
  /** Whole milliseconds, rounded as autocannon reports its HTTP latencies. */
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

/**
 * What autocannon does for HTTP, for gRPC calls: `concurrency` callers, each
 * sending its next call when the last one is answered, on one channel (gRPC's
 * HTTP/2 carries them as concurrent streams), for `seconds` or `amount` calls.
 */
export async function grpcLoad(client: V2GrpcClient, request: object, concurrency: number, options: { seconds?: number; amount?: number }): Promise<GrpcLoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const began = performance.now();
  const deadline = began + (options.seconds ?? Number.POSITIVE_INFINITY) * 1000;
  const more = () => (options.amount === undefined ? performance.now() < deadline : started < options.amount);
  const caller = async (): Promise<void> => {
    while (more()) {
      started += 1;
      const sent = performance.now();
      try {
        await client.call('ModelInfer', request);
        latencies.push(performance.now() - sent);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const seconds = (performance.now() - began) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    seconds,
    requests: latencies.length,
    p50_ms: sorted.length ? Math.round(quantile(sorted, 0.5)) : Number.NaN,
    p99_ms: sorted.length ? Math.round(quantile(sorted, 0.99)) : Number.NaN,
    errors,
  };
}
