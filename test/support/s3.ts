import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../src/local-redis.js';
import { createS3Client } from '../../src/registry/s3-artifact-store.js';

export const TEST_BUCKET = 'modelyard-test';

/** s3rver takes any key pair whose signature is well formed; the SDK's default chain reads these. */
export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export interface TestS3 {
  /** The settings a modelyard process needs to use the endpoint, credentials included. */
  env: Record<string, string>;
  /** A fresh `s3://` URL under a prefix of its own, as ARTIFACT_STORE takes it. */
  storeUrl(): string;
  client: S3Client;
  /** The keys of every object under `prefix` (a storeUrl), sorted. */
  keys(url: string): Promise<string[]>;
  stop(): Promise<void>;
}

const s3rverBin = join(dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');

/**
 * An S3 endpoint process of the test's own: s3rver on a free port, with one
 * bucket, in a temporary directory removed on stop.
 */
export async function startS3(): Promise<TestS3> {
  for (const [name, value] of Object.entries(S3_CREDENTIALS)) process.env[name] ??= value;
  const dir = mkdtempSync(join(tmpdir(), 'modelyard-s3-'));
  const port = await freePort();
  // s3rver signs its list continuation tokens with a cipher OpenSSL 3 keeps in its legacy provider.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', s3rverBin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--configure-bucket', TEST_BUCKET], {
    stdio: 'ignore',
  });
  const env = { ...S3_CREDENTIALS, S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: 'true' };
  const client = createS3Client({ S3_ENDPOINT: env.S3_ENDPOINT, S3_REGION: env.S3_REGION, S3_FORCE_PATH_STYLE: true });
  const list = async (prefix: string) => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await list('');
      break;
    } catch (error) {
      if (child.exitCode !== null || attempt > 200) throw new Error(`s3rver did not start on port ${port}`, { cause: error });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    env,
    client,
    storeUrl: () => `s3://${TEST_BUCKET}/test-${randomBytes(4).toString('hex')}`,
    keys: (url) => list(`${new URL(url).pathname.slice(1)}/`),
    async stop() {
      client.destroy();
      await new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
