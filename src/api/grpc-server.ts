import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, ValidationError } from '../errors.js';
import type { V2Input } from '../serving/v2-tensors.js';
import { grpcCalls, type GrpcCallOptions } from './grpc-calls.js';
import { pingWithin } from './routes/health.js';
import { SERVER_NAME, SERVER_VERSION } from './routes/v2.js';
import { v2Infer, v2ModelMetadata, v2ModelReady, type V2Inference, type V2Output } from './services/serving.js';

/** The Open Inference Protocol's published service definition, committed unchanged (see proto/README.md). */
export const PROTO_PATH = fileURLToPath(new URL('../../proto/open_inference_grpc.proto', import.meta.url));
const SERVICE = 'inference.GRPCInferenceService';

/** How the service and its clients read the .proto: the protocol's field names, 64-bit integers as numbers, absent fields as their defaults. */
export const PROTO_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

// The messages as proto-loader decodes them with PROTO_OPTIONS; only the fields this server reads.
interface ModelRef {
  name: string;
  version: string;
}
interface InferParameter {
  bool_param?: boolean;
}
interface InferTensorContents {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: number[];
  uint_contents: number[];
  uint64_contents: number[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Buffer[];
}
interface InferInputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents: InferTensorContents | null;
}
interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  inputs: InferInputTensor[];
  outputs: { name: string; parameters: Record<string, InferParameter> }[];
  raw_input_contents: Buffer[];
}

/** Which `contents` field carries each datatype this server accepts. */
const CONTENTS_FIELD: Record<string, keyof InferTensorContents> = {
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  BOOL: 'bool_contents',
};

const CONTENTS_FIELDS: (keyof InferTensorContents)[] = ['bool_contents', 'int_contents', 'int64_contents', 'uint_contents', 'uint64_contents', 'fp32_contents', 'fp64_contents', 'bytes_contents'];

/** Each accepted datatype's element in `raw_input_contents`: little-endian, as the protocol specifies. */
const RAW_ELEMENT: Record<string, { bytes: number; read: (raw: Buffer, offset: number) => number | boolean }> = {
  FP32: { bytes: 4, read: (raw, offset) => raw.readFloatLE(offset) },
  FP64: { bytes: 8, read: (raw, offset) => raw.readDoubleLE(offset) },
  INT32: { bytes: 4, read: (raw, offset) => raw.readInt32LE(offset) },
  // An int64 beyond 2^53 becomes an unsafe number, which the INT64 check then refuses.
  INT64: { bytes: 8, read: (raw, offset) => Number(raw.readBigInt64LE(offset)) },
  UINT8: { bytes: 1, read: (raw, offset) => raw.readUInt8(offset) },
  BOOL: { bytes: 1, read: (raw, offset) => raw.readUInt8(offset) !== 0 },
};

/** The tensor's elements from its typed `contents`, checked to sit in the field its datatype names. */
function fromContents(input: InferInputTensor, path: string): unknown[] {
  const field = CONTENTS_FIELD[input.datatype];
  const contents = input.contents;
  if (!field || !contents) return [];
  const misplaced = CONTENTS_FIELDS.find((other) => other !== field && contents[other].length > 0);
  if (misplaced) throw ValidationError.at(`${path}.contents`, `datatype ${input.datatype} takes ${field}, found ${misplaced}`);
  return contents[field];
}

/** The tensor's elements from its raw little-endian bytes. */
function fromRaw(input: InferInputTensor, raw: Buffer, path: string): unknown[] {
  const element = RAW_ELEMENT[input.datatype];
  if (!element) return [];
  if (raw.length % element.bytes !== 0) {
    throw ValidationError.at(path, `${raw.length} bytes is not a whole number of ${element.bytes}-byte ${input.datatype} elements`);
  }
  const values = new Array<unknown>(raw.length / element.bytes);
  for (let i = 0; i < values.length; i++) values[i] = element.read(raw, i * element.bytes);
  return values;
}

/** A gRPC inference request as the protocol's tensors that the REST route also takes. */
function toV2Inputs(request: ModelInferRequest): V2Input[] {
  const raw = request.raw_input_contents;
  if (raw.length > 0) {
    if (raw.length !== request.inputs.length) throw ValidationError.at('raw_input_contents', `expected one entry per input (${request.inputs.length}), found ${raw.length}`);
    const withContents = request.inputs.findIndex((input) => input.contents !== null);
    if (withContents >= 0) throw ValidationError.at(`inputs[${withContents}].contents`, 'must be empty when raw_input_contents is given');
  }
  return request.inputs.map((input, i) => {
    const path = `inputs[${i}]`;
    const data = raw.length > 0 ? fromRaw(input, raw[i] ?? Buffer.alloc(0), `raw_input_contents[${i}]`) : fromContents(input, path);
    return { name: input.name, shape: input.shape, datatype: input.datatype, data };
  });
}

/** Triton's convention, which clients of the protocol follow: raw output when asked for raw input or with an output's `binary_data`. */
function wantsRaw(request: ModelInferRequest): boolean {
  return request.raw_input_contents.length > 0 || request.outputs.some((output) => output.parameters.binary_data?.bool_param === true);
}

function rawBytes(output: V2Output): Buffer {
  if (output.datatype === 'FP32') {
    const raw = Buffer.alloc(output.data.length * 4);
    output.data.forEach((value, i) => raw.writeFloatLE(value, i * 4));
    return raw;
  }
  // BYTES elements each follow their length, a 4-byte little-endian integer.
  return Buffer.concat(
    output.data.flatMap((text) => {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return [length, bytes];
    }),
  );
}

function inferResponse(inference: V2Inference, raw: boolean): Record<string, unknown> {
  const outputs = inference.outputs.map((output) => {
    const head = { name: output.name, datatype: output.datatype, shape: output.shape };
    if (raw) return head;
    const contents = output.datatype === 'FP32' ? { fp32_contents: Array.from(output.data) } : { bytes_contents: output.data.map((text) => Buffer.from(text, 'utf8')) };
    return { ...head, contents };
  });
  return {
    model_name: inference.model_name,
    model_version: inference.model_version,
    id: inference.id ?? '',
    outputs,
    raw_output_contents: raw ? inference.outputs.map(rawBytes) : [],
  };
}

export interface GrpcServerOptions extends GrpcCallOptions {
  /** The largest message accepted, bytes: the API's body limit. */
  maxMessageBytes: number;
}

export interface GrpcListener {
  /** Binds the service and answers the port bound (0 picks a free one). */
  listen(port: number, host: string): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    grpcServer: GrpcListener;
  }
}

/**
 * The Open Inference Protocol (KServe V2) over gRPC, `inference.GRPCInferenceService`,
 * on the services, catalog and model cache the REST routes use; the same API
 * keys (from the `authorization` metadata), rate limit, request logs and
 * metrics (grpc-calls.ts). It listens when main (or a test) asks, and closes with the app.
 */
async function grpcServer(app: FastifyInstance, options: GrpcServerOptions): Promise<void> {
  const definition = protoLoader.loadSync(PROTO_PATH, PROTO_OPTIONS);
  const service = definition[SERVICE] as grpc.ServiceDefinition;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': options.maxMessageBytes });
  const unary = grpcCalls(app, options);

  server.addService(service, {
    ServerLive: unary('public', async () => ({ live: true })),
    ServerReady: unary('public', async () => ({ ready: !app.lifecycle.shuttingDown && (await pingWithin(app.redis, 1000)) })),
    ServerMetadata: unary('public', async () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] })),
    ModelMetadata: unary('predict', async (request: ModelRef, tenant) => v2ModelMetadata(app, tenant, request.name, request.version || undefined)),
    ModelReady: unary('predict', async (request: ModelRef, tenant) => {
      try {
        return { ready: (await v2ModelReady(app, tenant, request.name, request.version || undefined)).ready };
      } catch (error) {
        // The protocol's answer for a known model that cannot serve yet; unknown ones stay NOT_FOUND.
        if (error instanceof AppError && error.code === 'not_trained') return { ready: false };
        throw error;
      }
    }),
    ModelInfer: unary('predict', async (request: ModelInferRequest, tenant) => {
      const inputs = toV2Inputs(request);
      const outputs = request.outputs.length > 0 ? request.outputs.map(({ name }) => ({ name })) : undefined;
      const inference = await v2Infer(app, tenant, request.model_name, { ...(request.id ? { id: request.id } : {}), inputs, ...(outputs ? { outputs } : {}) }, request.model_version || undefined);
      return inferResponse(inference, wantsRaw(request));
    }),
  });

  app.decorate('grpcServer', {
    listen: (port: number, host: string) =>
      new Promise<number>((resolve, reject) => {
        const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) =>
          // grpc-js says only that no address was added: name the address, as a busy HTTP port is named.
          error ? reject(new Error(`cannot listen for gRPC on ${address} (GRPC_PORT): ${error.message}`)) : resolve(bound),
        );
      }),
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });
}

export default fp(grpcServer, { name: 'grpc-server', dependencies: ['services'] });
