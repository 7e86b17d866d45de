import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildAsyncApiDocument } from '../asyncapi';

// npm run docs:events — rewrites docs/asyncapi.json from the schemas.
const target = path.resolve(__dirname, '../../../../../docs/asyncapi.json');
writeFileSync(target, `${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`);
console.log(`wrote ${target}`);
