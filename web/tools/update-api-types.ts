import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { API_DOCUMENTS, typesOf } from './api-types';

/**
 * `npm run api:types -w web [gateway URL]`: regenerates web/src/api/generated/*.ts from the
 * documents a running gateway serves (default: the one `npm start` runs, GATEWAY_PORT).
 */
async function main(): Promise<void> {
  const gateway = process.argv[2] ?? `http://127.0.0.1:${process.env['GATEWAY_PORT'] ?? '3000'}`;
  const dir = path.resolve(__dirname, '../../src/api/generated');
  for (const name of API_DOCUMENTS) {
    await writeFile(path.join(dir, `${name}.ts`), await typesOf(gateway, name));
    console.log(`[api:types] ${name}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
