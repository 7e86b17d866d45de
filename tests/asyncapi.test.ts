import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildAsyncApiDocument, eventTypes } from '@oip/contracts';

const documentPath = path.resolve(__dirname, '../../docs/asyncapi.json');

describe('docs/asyncapi.json', () => {
  it('When the event schemas change, then the committed AsyncAPI document must be regenerated (npm run docs:events)', () => {
    const committed: unknown = JSON.parse(readFileSync(documentPath, 'utf8'));

    assert.deepEqual(committed, buildAsyncApiDocument());
  });

  it('When read, then it documents every event type with its data schema', () => {
    const document = buildAsyncApiDocument() as { components: { messages: Record<string, { payload: { properties: { data: { type?: string } } } }> } };

    for (const type of eventTypes) {
      assert.equal(document.components.messages[type]?.payload.properties.data.type, 'object', type);
    }
  });
});
