import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

/** The built app (npm run build; npm test builds it first). */
const app = path.resolve(__dirname, '../app');
const BUDGET_BYTES = 200 * 1024;

/** The scripts a first visit loads: index.html's module entry and what it preloads (lazy chunks excluded). */
function initialScripts(html: string): string[] {
  const entries = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)];
  return entries.map((match) => match[1] ?? '');
}

describe('web app bundle', () => {
  const html = readFileSync(path.join(app, 'index.html'), 'utf8');

  it('When a page first loads, then its JavaScript is at most 200 KB gzipped', () => {
    const scripts = initialScripts(html);
    assert.ok(scripts.length > 0, 'index.html loads no script');
    const sizes = scripts.map((src) => ({ src, gzipped: gzipSync(readFileSync(path.join(app, src))).length }));
    const total = sizes.reduce((sum, { gzipped }) => sum + gzipped, 0);
    console.log(`[bundle] initial JavaScript ${(total / 1024).toFixed(1)} KB gzipped: ${sizes.map(({ src, gzipped }) => `${src} ${(gzipped / 1024).toFixed(1)} KB`).join(', ')}`);
    assert.ok(total <= BUDGET_BYTES, `initial JavaScript is ${total} bytes gzipped, over the ${BUDGET_BYTES} budget`);
  });

  it('When index.html is read, then it has no inline script or style (the CSP allows none)', () => {
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline <script>');
    assert.doesNotMatch(html, /<style\b|\sstyle="/, 'an inline style');
    for (const src of initialScripts(html)) assert.match(src, /^\/assets\/[\w.-]+-[\w-]{8}\.js$/, `${src} is not a hashed asset under /assets`);
  });
});
