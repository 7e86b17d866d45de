import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from './support/repo';

const run = promisify(execFile);
const dir = path.join(repoRoot, 'deploy/prometheus');

/**
 * promtool comes with Debian's prometheus package, which `bash scripts/infra.sh install` (and so
 * `npm start` and the test runner's `infra up`) installs: missing, it is a broken setup, not a
 * reason to skip.
 */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dir });
    return stdout + stderr;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') assert.fail('promtool is not installed; run: bash scripts/infra.sh install (Debian package prometheus)');
    assert.fail(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

describe('Prometheus configuration and alert rules (deploy/prometheus)', () => {
  it('When promtool checks the rules, then all five alerts are valid', async () => {
    const output = await promtool('check', 'rules', 'alerts.yml');
    assert.match(output, /SUCCESS: 5 rules found/);
  });

  it('When promtool checks the configuration, then it and its rule file are valid', async () => {
    const output = await promtool('check', 'config', '--syntax-only', 'prometheus.yml');
    assert.match(output, /SUCCESS/);
  });

  it('When the rule unit tests run, then every alert fires on its trigger and not below its threshold', async () => {
    const output = await promtool('test', 'rules', 'alerts.test.yml');
    assert.match(output, /SUCCESS/);
  });
});
