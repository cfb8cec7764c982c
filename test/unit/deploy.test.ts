import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ConfigSchema } from '../../src/config.js';

// The images are built and run by scripts/image-test.sh, which CI runs after these tests
// (docs/deploy.md). These check, without an engine, what that run cannot (the GPU image, which
// it does not build) and the files' essentials as written, so a slip shows before a long build.

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  name: string;
  base: string;
  parent: Stage | undefined;
  own: Instruction[];
}

/** Instructions with their continuation lines joined; comments dropped, as Docker does. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line.trim().startsWith('#') || (pending === '' && line.trim() === '')) return;
    if (pending === '') start = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const space = full.search(/\s/);
    out.push({ keyword: full.slice(0, space).toUpperCase(), args: full.slice(space).trim(), line: start });
  });
  return out;
}

function dockerfile() {
  const all = instructions(read('Dockerfile'));
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      assert.ok(match?.[2], `Dockerfile:${instruction.line}: every stage is named (FROM image AS name)`);
      const base = match[1] as string;
      stages.push({ name: match[2], base, parent: stages.find((stage) => stage.name === base), own: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name, value = ''] = instruction.args.split('=');
        globalArgs.set(name as string, value);
      }
    } else {
      (stages.at(-1) as Stage).own.push(instruction);
    }
  }
  const stage = (name: string) => {
    const found = stages.find((candidate) => candidate.name === name);
    assert.ok(found, `Dockerfile has a stage named ${name} (has: ${stages.map((s) => s.name).join(', ')})`);
    return found;
  };
  return { stages, globalArgs, stage };
}

/** A stage's instructions with those of the stages it is built FROM, oldest first. */
function chain(stage: Stage): Instruction[] {
  return [...(stage.parent ? chain(stage.parent) : []), ...stage.own];
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return chain(stage).filter((instruction) => instruction.keyword === keyword).at(-1);
}

/** ENV as Docker reads it (KEY=value pairs, values possibly quoted), later values winning. */
function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of chain(stage).filter((i) => i.keyword === 'ENV')) {
    for (const [, key, quoted, plain] of instruction.args.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) {
      env.set(key as string, quoted ?? plain ?? '');
    }
  }
  return env;
}

function execForm(instruction: Instruction | undefined, keyword: string): string[] {
  assert.ok(instruction, `the image has ${keyword}`);
  const json = instruction.args.replace(/^(--\S+\s+)*CMD\s+/, '');
  const parsed: unknown = JSON.parse(json);
  assert.ok(Array.isArray(parsed), `Dockerfile:${instruction.line}: ${keyword} uses the exec (JSON) form`);
  return parsed.map(String);
}

/** COPY instructions of a stage and those it is built FROM (`own`: of the stage alone). */
function copies(stage: Stage, own = false) {
  return (own ? stage.own : chain(stage))
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => {
      const words = instruction.args.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((word) => !word.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1) as string };
    });
}

const runtimes = ['runtime', 'runtime-gpu'] as const;

test('Dockerfile: multi-stage, and a plain `docker build` gives the slim runtime image', () => {
  const { stages, globalArgs, stage } = dockerfile();
  assert.ok(stages.length >= 3, `stages: ${stages.map((s) => s.name).join(', ')}`);
  assert.equal(stages.at(-1)?.name, 'runtime');
  assert.match(globalArgs.get('NODE_IMAGE') ?? '', /^node:20-bookworm-slim$/);
  for (const name of runtimes) {
    let root = stage(name);
    while (root.parent) root = root.parent;
    assert.equal(root.base, '${NODE_IMAGE}', `${name} starts from the bare Node image, not a build stage`);
    for (const instruction of chain(stage(name)).filter((i) => i.keyword === 'RUN')) {
      assert.doesNotMatch(instruction.args, /apt-get install|npm (ci|install)|pip/, `Dockerfile:${instruction.line}: ${name} installs nothing itself`);
    }
  }
});

test('Dockerfile: the runtime images run as a non-root user', () => {
  const { stage } = dockerfile();
  for (const name of runtimes) {
    const user = last(stage(name), 'USER');
    assert.ok(user, `${name} sets USER`);
    assert.doesNotMatch(user.args, /^(root|0)(:|$)/, `${name} runs as ${user.args}`);
  }
});

test('Dockerfile: api by default (node dist/main.js api), a worker for the GPU image', () => {
  const { stage } = dockerfile();
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
  const main = pkg.bin.modelyard;
  assert.equal(main, 'dist/main.js');
  for (const name of runtimes) {
    assert.deepEqual(execForm(last(stage(name), 'ENTRYPOINT'), 'ENTRYPOINT'), ['node', main]);
    // dist/ is compiled in a build stage and copied in; package.json makes its .js files ES modules.
    const copied = copies(stage(name));
    const dist = copied.find((copy) => copy.destination.replace(/\/$/, '').endsWith('dist'));
    assert.ok(dist?.from, `${name} copies dist/ from a build stage`);
    assert.match(chain(stage(dist.from)).map((i) => i.args).join('\n'), /npm run build/);
    assert.ok(copied.some((copy) => !copy.from && copy.sources.includes('package.json')), `${name} has package.json`);
  }
  assert.deepEqual(execForm(last(stage('runtime'), 'CMD'), 'CMD'), ['api']);
  assert.deepEqual(execForm(last(stage('runtime-gpu'), 'CMD'), 'CMD'), ['worker']);
  const env = envOf(stage('runtime'));
  assert.equal(env.get('DATA_DIR'), '/data');
  assert.equal(env.get('HOST'), '0.0.0.0');
});

test('Dockerfile: HEALTHCHECK asks /healthz, or a worker\'s /metrics when it serves them', () => {
  const { stage } = dockerfile();
  for (const name of runtimes) {
    const healthcheck = last(stage(name), 'HEALTHCHECK');
    assert.ok(healthcheck, `${name} has a HEALTHCHECK`);
    assert.doesNotMatch(healthcheck.args, /^NONE$/i);
    assert.match(healthcheck.args, /--timeout=\d+s/);
    const [program, flag, script] = execForm(healthcheck, 'HEALTHCHECK');
    assert.deepEqual([program, flag], ['node', '-e']);
    assert.match(script ?? '', /\/healthz/);
    assert.match(script ?? '', /WORKER_METRICS_PORT[\s\S]*\/metrics/);
    assert.ok(ConfigSchema.shape.WORKER_METRICS_PORT, 'WORKER_METRICS_PORT is a setting of src/config.ts');
  }
  assert.match(envOf(stage('runtime-gpu')).get('WORKER_METRICS_PORT') ?? '', /^\d+$/);
});

test('Dockerfile: the native backend is built, required and copied to the same absolute path', () => {
  const { stage, globalArgs } = dockerfile();
  const wheels = { runtime: 'tensorflow-cpu', 'runtime-gpu': 'tensorflow' } as const;
  for (const name of runtimes) {
    const native = copies(stage(name)).find((copy) => copy.destination.replace(/\/$/, '').endsWith('node_modules'));
    assert.ok(native?.from, `${name} copies node_modules from a build stage`);
    const builder = stage(native.from);
    const env = envOf(builder);
    assert.equal(env.get('MODELYARD_REQUIRE_BACKEND'), 'tensorflow', `${builder.name}: a broken backend fails the build`);
    assert.equal(env.get('MODELYARD_TF_WHEEL'), `${wheels[name]}==\${TF_VERSION}`);
    const cache = env.get('MODELYARD_NATIVE_CACHE') ?? '';
    assert.ok(cache.startsWith('/'), `${builder.name} sets MODELYARD_NATIVE_CACHE to an absolute path`);
    // tfjs-node's deps/ is a symlink to this path: it must exist at the same place at run time.
    assert.ok(
      copies(stage(name)).some((copy) => copy.from === builder.name && copy.sources.includes(cache) && copy.destination === cache),
      `${name} copies ${cache} from ${builder.name} to ${cache}`,
    );
    assert.match(chain(builder).map((i) => i.args).join('\n'), /npm ci --omit=dev/);
  }
  // The image runs the TensorFlow that the install script (and so CI) uses by default.
  const scriptDefault = /\?\? 'tensorflow-cpu==([\d.]+)'/.exec(read('scripts/install-tfjs-native.mjs'))?.[1];
  assert.ok(scriptDefault, "scripts/install-tfjs-native.mjs's default wheel (?? 'tensorflow-cpu==X')");
  assert.equal(globalArgs.get('TF_VERSION'), scriptDefault);
});

test('Dockerfile: the GPU worker gets the CUDA libraries TensorFlow asks for, on the loader path', () => {
  const { stage } = dockerfile();
  const gpu = stage('runtime-gpu');
  const builder = copies(gpu).find((copy) => copy.destination.replace(/\/$/, '').endsWith('node_modules'))?.from as string;
  const build = chain(stage(builder)).map((i) => i.args).join('\n');
  assert.match(build, /extra == "and-cuda"/, 'the CUDA wheels are those of the tensorflow wheel\'s and-cuda extra');
  assert.match(build, /ld\.so\.conf\.d/);
  for (const library of ['libcudart.so.12', 'libcublas.so.12', 'libcudnn.so.9']) assert.ok(build.includes(library), library);
  const runtimeSteps = chain(gpu);
  assert.ok(copies(gpu).some((copy) => copy.from === builder && copy.destination.startsWith('/etc/ld.so.conf.d/')));
  const lastConfCopy = runtimeSteps.findLastIndex((i) => i.keyword === 'COPY' && i.args.includes('ld.so.conf.d'));
  assert.ok(runtimeSteps.slice(lastConfCopy).some((i) => i.keyword === 'RUN' && /\bldconfig\b/.test(i.args)), 'ldconfig runs after the conf file lands');
  assert.match(envOf(gpu).get('NVIDIA_DRIVER_CAPABILITIES') ?? '', /compute/);
});

test('Dockerfile: every COPY --from names an earlier stage; the context has only what is copied', () => {
  const { stages } = dockerfile();
  const ignore = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  assert.equal(ignore[0], '*', '.dockerignore starts by leaving everything out');
  const allowed = new Set(ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, '')));
  for (const leftOut of ['node_modules', 'dist', 'data', '.git', '.env', 'tmp', 'test', 'bench']) assert.ok(!allowed.has(leftOut), `${leftOut} stays out of the context`);
  // Editing the image test must not invalidate the npm ci layers that copy scripts/.
  assert.ok(ignore.indexOf('scripts/image-*') > ignore.indexOf('!scripts'), 'scripts/image-* stays out of the context');
  stages.forEach((stage, index) => {
    for (const copy of copies(stage, true)) {
      if (copy.from) {
        const earlier = stages.slice(0, index).map((s) => s.name);
        assert.ok(earlier.includes(copy.from), `${stage.name}: COPY --from=${copy.from} is an earlier stage (${earlier.join(', ')})`);
      } else {
        for (const source of copy.sources) assert.ok(allowed.has(source.replace(/^\.\//, '').replace(/\/$/, '')), `${source} is in the build context (.dockerignore)`);
      }
    }
  });
});

interface Service {
  image?: string;
  build?: { context?: string; target?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  profiles?: string[];
  container_name?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  deploy?: { resources?: { reservations?: { devices?: { driver?: string; count?: number | string; capabilities?: string[] }[] } } };
}

function compose() {
  const doc = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const service = (name: string) => {
    const found = doc.services[name];
    assert.ok(found, `docker-compose.yml has a ${name} service (has: ${Object.keys(doc.services).join(', ')})`);
    return found;
  };
  return { doc, service };
}

const modelyardServices = ['api', 'worker', 'worker-gpu'] as const;

/** Read by the AWS SDK for ARTIFACT_STORE=s3://…, not by src/config.ts. */
const AWS_CREDENTIALS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

test('CI runs the image test after the other tests; compose files stay readable by docker-compose 1.x', () => {
  const ci = read('.ci/run');
  const imageTest = ci.search(/^bash scripts\/image-test\.sh$/m);
  assert.ok(imageTest > ci.search(/^npm test$/m) && ci.search(/^npm test$/m) > 0, '.ci/run: `bash scripts/image-test.sh` after `npm test`');
  // Debian's docker-compose 1.29 (what the image test drives podman with) refuses a top-level name.
  assert.equal((parse(read('docker-compose.yml')) as Record<string, unknown>).name, undefined);
});

test('compose: redis with AOF, a healthcheck and a named volume', () => {
  const { doc, service } = compose();
  const redis = service('redis');
  assert.match(redis.image ?? '', /^redis:7(\b|$)/);
  const command = redis.command ?? [];
  assert.equal(command[command.indexOf('--appendonly') + 1], 'yes');
  assert.deepEqual(redis.healthcheck?.test?.slice(-2), ['redis-cli', 'ping']);
  const volume = redis.volumes?.find((mount) => mount.endsWith(':/data'))?.split(':')[0];
  assert.ok(volume && doc.volumes && volume in doc.volumes, `redis keeps /data on a named volume (${volume})`);
});

test('compose: api on 8080 and scalable workers, after Redis is healthy', () => {
  const { doc, service } = compose();
  const api = service('api');
  const worker = service('worker');
  assert.ok(api.ports?.some((port) => port.endsWith(':8080')), `api publishes 8080 (${api.ports?.join(', ')})`);
  assert.equal(api.environment?.PORT, '8080');
  assert.deepEqual(api.command, ['api']);
  assert.deepEqual(worker.command, ['worker']);
  assert.equal(worker.image, api.image, 'one image runs both');
  assert.equal(worker.container_name, undefined, '--scale worker=N needs no fixed container name');
  assert.equal(worker.ports, undefined, '--scale worker=N needs no fixed host port');
  for (const name of modelyardServices) {
    assert.equal(service(name).depends_on?.redis?.condition, 'service_healthy', `${name} waits for a healthy Redis`);
    const redisUrl = new URL(service(name).environment?.REDIS_URL ?? '');
    assert.ok(redisUrl.hostname in doc.services, `${name}'s REDIS_URL names a service (${redisUrl.hostname})`);
  }
  for (const name of ['redis', 'api', 'worker']) assert.equal(service(name).profiles, undefined, `${name} runs without a profile`);
});

test('compose: every modelyard container shares DATA_DIR on one named volume', () => {
  const { doc, service } = compose();
  const mounts = modelyardServices.map((name) => {
    const dataDir = service(name).environment?.DATA_DIR ?? '';
    assert.ok(dataDir.startsWith('/'), `${name} sets DATA_DIR (${dataDir})`);
    const mount = service(name).volumes?.find((volume) => volume.endsWith(`:${dataDir}`));
    assert.ok(mount, `${name} mounts a volume at ${dataDir}`);
    return mount;
  });
  assert.equal(new Set(mounts).size, 1, mounts.join(' / '));
  const volume = mounts[0]?.split(':')[0] ?? '';
  assert.ok(doc.volumes && volume in doc.volumes, `${volume} is a named volume`);
});

test('compose: the s3 profile adds MinIO with its bucket, and s3.env points the api and workers at it', () => {
  const { service } = compose();
  const minio = service('minio');
  assert.deepEqual(minio.profiles, ['s3']);
  assert.deepEqual(service('minio-bucket').profiles, ['s3']);
  const env = Object.fromEntries(
    read('s3.env')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => line.split('=', 2) as [string, string]),
  );
  const store = new URL(env.ARTIFACT_STORE ?? '');
  assert.equal(store.protocol, 's3:');
  assert.equal(store.hostname, env.S3_BUCKET, 'the bucket minio-bucket creates');
  assert.equal(new URL(env.S3_ENDPOINT ?? '').hostname, 'minio');
  assert.equal(env.S3_FORCE_PATH_STYLE, 'true');
  for (const name of AWS_CREDENTIALS) assert.ok(env[name], `s3.env sets ${name}`);
  const parsed = ConfigSchema.safeParse({ ...env, DATA_DIR: '/data' });
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
});

test('compose: the gpu profile adds a GPU worker built from the GPU target', () => {
  const { service } = compose();
  const { stage } = dockerfile();
  const gpu = service('worker-gpu');
  assert.deepEqual(gpu.profiles, ['gpu']);
  assert.deepEqual(gpu.command, ['worker']);
  assert.equal(gpu.container_name, undefined);
  assert.equal(gpu.ports, undefined);
  const devices = gpu.deploy?.resources?.reservations?.devices ?? [];
  assert.ok(devices.some((device) => device.driver === 'nvidia' && device.capabilities?.includes('gpu')), JSON.stringify(devices));
  const targets = { api: 'runtime', worker: 'runtime', 'worker-gpu': 'runtime-gpu' } as const;
  for (const [name, target] of Object.entries(targets)) {
    assert.equal(service(name).build?.target, target);
    stage(target);
  }
});

test('compose: the containers get exactly the variables of src/config.ts, and the AWS credentials', () => {
  const { service } = compose();
  const expected = [...Object.keys(ConfigSchema.shape), ...AWS_CREDENTIALS].sort();
  for (const name of modelyardServices) {
    const environment = service(name).environment ?? {};
    const actual = Object.keys(environment).sort();
    const missing = expected.filter((key) => !actual.includes(key));
    const unknown = actual.filter((key) => !expected.includes(key));
    assert.deepEqual({ missing, unknown }, { missing: [], unknown: [] }, `${name}'s environment against ConfigSchema`);
    for (const [key, value] of Object.entries(environment)) {
      const reference = /^\$\{(\w+)(?::?-[^}]*)?\}$/.exec(String(value));
      if (reference) assert.equal(reference[1], key, `${name}: ${key} is taken from the variable of the same name`);
    }
    // The image's healthcheck reads WORKER_METRICS_PORT: set for workers, empty for the api.
    const metricsPort = environment.WORKER_METRICS_PORT ?? '';
    if (name === 'api') assert.equal(metricsPort, '');
    else assert.match(metricsPort, /^\d+$/, `${name} serves /metrics for its healthcheck`);
  }
});
