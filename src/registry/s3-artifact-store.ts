import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { NotFoundError } from '../errors.js';
import { checkName, copyWithin, isSegment, keySegments, type ArtifactEntry, type ArtifactStore, type StoredStream } from './artifacts.js';

/**
 * A folder's table of contents, written after its files: a folder without one
 * is not there yet (or is half removed), so readers never see part of a write.
 * Files live under the write that made them (`.files/<uuid>/<name>`), so a
 * replacing write never overwrites what a reader of the old manifest fetches.
 */
const MANIFEST = '.manifest';
const FILES = '.files';
const ManifestSchema = z.object({ files: z.record(z.string(), z.object({ object: z.string(), bytes: z.number().int().min(0) })) });
type Manifest = z.infer<typeof ManifestSchema>;

/** S3 answers at most this many keys per list. */
const BATCH = 1000;
/** Multipart parts: S3's smallest, so an upload holds little in memory. */
const PART_BYTES = 5 * 1024 * 1024;
/** How long a presigned artifact URL stays valid. */
const SIGNED_URL_SECONDS = 300;

export interface S3Settings {
  S3_ENDPOINT?: string | undefined;
  S3_REGION: string;
  S3_FORCE_PATH_STYLE: boolean;
}

/** A client for S3 or what speaks its API; credentials from the SDK's default chain (environment, profile files, instance roles). */
export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.S3_REGION,
    ...(settings.S3_ENDPOINT ? { endpoint: settings.S3_ENDPOINT } : {}),
    forcePathStyle: settings.S3_FORCE_PATH_STYLE,
    // Checksums only where S3 demands them: MinIO, Ceph and older gateways refuse the
    // streaming checksum trailers the SDK would otherwise add to every upload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function isMissing(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404);
}

/**
 * An ArtifactStore in an S3 bucket under a prefix (`s3://bucket/prefix`).
 * A blob is one object, which S3 replaces whole. A folder is its files plus a
 * manifest object written last; readers go through the manifest.
 */
export class S3ArtifactStore implements ArtifactStore {
  private readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    prefix: string,
  ) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    if (this.prefix) keySegments(this.prefix);
  }

  static fromUrl(url: URL, settings: S3Settings): S3ArtifactStore {
    return new S3ArtifactStore(createS3Client(settings), url.hostname, decodeURIComponent(url.pathname));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.object(key), Body: data }));
  }

  async putFiles(key: string, files: Record<string, Uint8Array>): Promise<void> {
    const folder = this.object(key);
    const names = Object.keys(files).map(checkName);
    const write = `${folder}/${FILES}/${randomUUID()}`;
    const manifest: Manifest = { files: {} };
    try {
      for (const name of names) {
        const data = files[name] as Uint8Array;
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${write}/${name}`, Body: data }));
        manifest.files[name] = { object: `${write}/${name}`, bytes: data.byteLength };
      }
    } catch (error) {
      await this.deleteObjects(Object.values(manifest.files).map((file) => file.object));
      throw error;
    }
    const old = await this.manifest(folder);
    await this.writeManifest(folder, manifest);
    await this.deleteObjects(Object.values(old?.files ?? {}).map((file) => file.object));
  }

  async putStream(key: string, name: string, source: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<StoredStream> {
    const folder = this.object(key);
    const object = `${folder}/${FILES}/${randomUUID()}/${checkName(name)}`;
    const body = new PassThrough();
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: object, Body: body }, partSize: PART_BYTES, queueSize: 1 });
    const done = upload.done();
    // Seen by the abort paths below; the error that matters is the one thrown there.
    done.catch(() => undefined);
    let stored: StoredStream;
    try {
      stored = await copyWithin(source, maxBytes, async (chunk) => {
        if (!body.write(chunk)) await Promise.race([once(body, 'drain'), done]);
      });
      body.end();
      await done;
    } catch (error) {
      await upload.abort().catch(() => undefined);
      body.destroy();
      await this.deleteObjects([object]);
      throw error;
    }
    const old = await this.manifest(folder);
    const replaced = old?.files[name]?.object;
    await this.writeManifest(folder, { files: { ...old?.files, [name]: { object, bytes: stored.bytes } } });
    if (replaced) await this.deleteObjects([replaced]);
    return stored;
  }

  async get(key: string): Promise<Buffer> {
    return this.read(this.object(key), `'${key}'`);
  }

  async getFile(key: string, name: string): Promise<Buffer> {
    return this.read(await this.fileObject(key, name), `'${key}/${name}'`);
  }

  createReadStream(key: string, name: string): Readable {
    checkName(name);
    const out = new PassThrough();
    this.fileObject(key, name)
      .then((object) => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: object })))
      .then(({ Body }) => {
        if (!(Body instanceof Readable)) throw new Error(`S3 returned no stream for '${key}/${name}'`);
        Body.on('error', (error) => out.destroy(error));
        Body.pipe(out);
      })
      .catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
    return out;
  }

  async size(key: string, name: string): Promise<number> {
    return (await this.entry(key, name)).bytes;
  }

  async list(key: string): Promise<string[]> {
    const manifest = await this.manifest(this.object(key));
    if (!manifest) throw new NotFoundError(`artifact folder '${key}' not found`);
    return Object.keys(manifest.files).sort();
  }

  async children(key: string): Promise<ArtifactEntry[]> {
    const folder = `${this.object(key)}/`;
    const newest = new Map<string, number>();
    for await (const object of this.objects(folder)) {
      const [name = ''] = object.key.slice(folder.length).split('/');
      // A folder's manifest and files are the store's own, not keys.
      if (!isSegment(name)) continue;
      newest.set(name, Math.max(newest.get(name) ?? 0, object.modified.getTime()));
    }
    return [...newest.keys()].sort().map((name) => ({ name, modified: new Date(newest.get(name) as number) }));
  }

  async exists(key: string): Promise<boolean> {
    const object = this.object(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: object }));
      return true;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${object}/`, MaxKeys: 1 }));
    return (listed.KeyCount ?? 0) > 0;
  }

  async delete(key: string): Promise<void> {
    const object = this.object(key);
    const all: string[] = [];
    for await (const found of this.objects(`${object}/`)) all.push(found.key);
    // Manifests first: from then on no reader finds the folders, whatever is left of them.
    const manifests = all.filter((name) => name.endsWith(`/${MANIFEST}`));
    await this.deleteObjects(manifests);
    await this.deleteObjects([object, ...all.filter((name) => !name.endsWith(`/${MANIFEST}`))]);
  }

  /** A URL that fetches one file of a folder straight from the bucket, for a few minutes. */
  async signedUrl(key: string, name: string): Promise<string> {
    const object = await this.fileObject(key, name);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: object }), { expiresIn: SIGNED_URL_SECONDS });
  }

  private object(key: string): string {
    const segments = keySegments(key);
    return this.prefix ? `${this.prefix}/${segments.join('/')}` : segments.join('/');
  }

  private async entry(key: string, name: string): Promise<{ object: string; bytes: number }> {
    checkName(name);
    const entry = (await this.manifest(this.object(key)))?.files[name];
    if (!entry) throw new NotFoundError(`artifact '${key}/${name}' not found`);
    return entry;
  }

  private async fileObject(key: string, name: string): Promise<string> {
    return (await this.entry(key, name)).object;
  }

  private async manifest(folder: string): Promise<Manifest | undefined> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${folder}/${MANIFEST}` }));
      if (!Body) return undefined;
      return ManifestSchema.parse(JSON.parse(await Body.transformToString('utf8')));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private async writeManifest(folder: string, manifest: Manifest): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: `${folder}/${MANIFEST}`, Body: JSON.stringify(manifest), ContentType: 'application/json' }),
    );
  }

  private async read(object: string, what: string): Promise<Buffer> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: object }));
      if (!Body) throw new NotFoundError(`artifact ${what} not found`);
      return Buffer.from(await Body.transformToByteArray());
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`artifact ${what} not found`);
      throw error;
    }
  }

  private async *objects(prefix: string): AsyncGenerator<{ key: string; modified: Date }> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: BATCH }));
      for (const object of page.Contents ?? []) if (object.Key) yield { key: object.Key, modified: object.LastModified ?? new Date() };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * One request per object, in turn: GCS's interoperability mode has no
   * multi-object delete, and a missing object is no error for DeleteObject.
   */
  private async deleteObjects(keys: string[]): Promise<void> {
    for (const Key of keys) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
  }
}
