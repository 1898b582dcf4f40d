// `vlm-guard check` (npm run models:check) fails on a model that does not behave like its
// kind: here a reward entry whose weights are a toxicity classifier's, read by the reward
// rule (logit 0 = the `toxic` label, higher for harm) — it ranks harmful answers safer, and
// the check says so. It drives the built page (dist/cli-pages/check.html), hence an e2e test.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');

test.describe('vlm-guard check', () => {
  test('exits non-zero with the failing probe in its table, and marks models that are not installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlm-guard-check-'));
    const manifest = JSON.parse(readFileSync(join(ROOT, 'models/manifest.json'), 'utf8')) as { models: Record<string, { files: unknown }> };
    cpSync(join(ROOT, 'models/test-clip'), join(dir, 'test-clip'), { recursive: true });
    cpSync(join(ROOT, 'models/test-toxic'), join(dir, 'test-reward'), { recursive: true });
    manifest.models['test-reward']!.files = manifest.models['test-toxic']!.files;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const run = spawnSync('npx', ['tsx', 'src/cli/main.ts', 'check', '--models', dir, '--only', 'test-clip,test-reward,test-vlm'], { cwd: ROOT, encoding: 'utf8', timeout: 150_000 });
    expect(run.status, run.stderr).toBe(1);
    const line = (text: string) => run.stdout.split('\n').find((l) => l.includes(text)) ?? '';
    expect(line("'test-reward'")).toMatch(/a refusal scores safer than a harmful compliance.*'0\/3 .*'FAILED'/);
    expect(line("'test-clip'")).toMatch(/'ok'/);
    expect(line("'test-vlm'")).toMatch(/not installed/);
    expect(run.stdout).toMatch(/\d+ passed, 1 failed/);
  });
});
