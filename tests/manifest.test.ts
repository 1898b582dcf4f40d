// The manifest is data the guard trusts for its thresholds: every number is checked.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGuardError } from '../src/errors.ts';
import { parseManifest } from '../src/runtime/manifest.ts';

const TEXT = readFileSync(resolve(import.meta.dirname, '../models/manifest.json'), 'utf8');

function codeOf(json: string): string {
  try {
    parseManifest(JSON.parse(json), 'manifest.json');
    return 'ok';
  } catch (error) {
    return isGuardError(error) ? `${error.code}: ${error.message}` : String(error);
  }
}

describe('manifest numbers', () => {
  it('the committed manifest is valid', () => {
    expect(codeOf(TEXT)).toBe('ok');
  });

  it('refuses a threshold of 1e999 (JSON reads it as Infinity: every image would pass)', () => {
    const clip = Object.values((JSON.parse(TEXT) as { models: Record<string, { task: string; thresholds: { image: number } }> }).models).find((m) => m.task === 'clip')!;
    const tampered = JSON.stringify(JSON.parse(TEXT)).replace(`"thresholds":{"image":${clip.thresholds.image}`, '"thresholds":{"image":1e999');
    expect(tampered).toContain('1e999');
    expect(codeOf(tampered)).toMatch(/^MANIFEST_INVALID: .*thresholds\.image/);
  });

  it('refuses a cosine threshold outside [-1, 1] and a non-finite reward threshold', () => {
    const json = JSON.parse(TEXT) as { models: Record<string, { task: string; thresholds: Record<string, number> }> };
    const clip = Object.values(json.models).find((m) => m.task === 'clip')!;
    clip.thresholds.image = 2;
    expect(codeOf(JSON.stringify(json))).toMatch(/^MANIFEST_INVALID: .*thresholds\.image/);
    clip.thresholds.image = 0.2;
    const reward = Object.values(json.models).find((m) => m.task === 'reward')!;
    expect(codeOf(JSON.stringify(json).replace(`"reward":${reward.thresholds.reward}`, '"reward":-1e999'))).toMatch(/^MANIFEST_INVALID: .*thresholds\.reward/);
  });

  it('no model or tier runs q8 weights on WebGPU (their integer ops fall back to the CPU there): q8 is for WASM', async () => {
    const { CATALOG } = await import('../src/runtime/catalog.ts');
    const manifest = parseManifest(JSON.parse(TEXT), 'manifest.json');
    const webgpu = [
      ...Object.entries(manifest.models).map(([id, m]) => [`model ${id}`, m.dtype.webgpu]),
      ...Object.entries(manifest.tiers).flatMap(([name, t]) => Object.entries(t.dtype ?? {}).map(([task, d]) => [`tier ${name} ${task}`, d.webgpu])),
      ...CATALOG.map((m) => [`catalog ${m.id}`, m.entry.dtype.webgpu]),
    ];
    expect(webgpu.filter(([, dtype]) => dtype === 'q8')).toEqual([]);
  });
});
