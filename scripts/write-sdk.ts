/**
 * `npm run sdk`: writes openapi.json, then generates the TypeScript SDK in
 * sdk/generated/ from it with @hey-api/openapi-ts (types, one function per
 * operation named by its operationId, and the fetch client they share).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type UserConfig } from '@hey-api/openapi-ts';
import { OPENAPI_PATH, ROOT, writeOpenApi } from './write-openapi.js';

export const SDK_DIR = join(ROOT, 'sdk', 'generated');

/** The generator's settings; the drift test runs them into a temporary folder and compares. */
export function sdkConfig(input: string, output: string): UserConfig {
  return {
    input,
    output: { path: output, importFileExtension: '.js' },
    plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
    logs: { level: 'silent' },
  };
}

export async function generateSdk(input: string, output: string): Promise<void> {
  await createClient(sdkConfig(input, output));
}

async function main(): Promise<void> {
  await writeOpenApi();
  await generateSdk(OPENAPI_PATH, SDK_DIR);
  console.log(`wrote ${SDK_DIR}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
