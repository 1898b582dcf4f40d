// models:fetch against a local Hugging Face-like server that serves the REAL CLIP
// config/tokenizer files from the fixtures (the hub itself is unreachable here):
// listing, download, resume with Range, sha256 verification, manifest writing; and the
// pins that hub loading checks in the page (models:pin).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CATALOG, type HubModel } from '../src/runtime/catalog.ts';
import { fetchModels } from '../src/cli/fetch/fetch-models.ts';
import { pinModels, pinnedManifest } from '../src/runtime/hub-pinning.ts';
import { type HubRepos, type HubTestServer, commitOf, serveAsCatalogModel, startHubServer } from '../e2e/hub-test-server.ts';
import { parseManifest, tierModels } from '../src/runtime/manifest.ts';
import { freePort } from '../e2e/app-server.ts';

const FIXTURE = resolve(import.meta.dirname, '../../shared/fixtures/clip-vit-base-patch32');
const REPO = 'Xenova/clip-vit-base-patch32';
const files = new Map<string, Buffer>();
/** Repositories served, by "repo@revision": the CLIP fixture files and the generated evaluator-kind models in their real repos' layout. */
const repos: HubRepos = new Map([[`${REPO}@main`, files]]);
let hub: HubTestServer;
let host: string;

/** A generated model folder served as a catalog model's repository (its ONNX under the dtype's file name). */
const serveGenerated = (catalogId: string, generated: string, onnxAs: string): HubModel =>
  serveAsCatalogModel(repos, catalogId, resolve(import.meta.dirname, '../models', generated), (path) => (path === onnxAs ? 'onnx/model.onnx' : path));

beforeAll(async () => {
  for (const name of readdirSync(FIXTURE)) files.set(name, readFileSync(join(FIXTURE, name)));
  files.set('onnx/text_model.onnx', readFileSync(resolve(import.meta.dirname, '../models/test-clip/onnx/text_model.onnx')));
  hub = await startHubServer(repos);
  host = hub.host;
});
afterAll(() => hub.close());

function modelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-guard-fetch-'));
  copyFileSync(resolve(import.meta.dirname, '../models/manifest.json'), join(dir, 'manifest.json'));
  return dir;
}

const clip: HubModel = {
  ...(CATALOG.find((m) => m.id === 'clip-vit-base-patch32') as HubModel),
  files: ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/text_model.onnx'],
};

describe('models:fetch', () => {
  it('downloads, verifies and records a model; its real tokenizer then loads from models/', async () => {
    const dir = modelsDir();
    const [result] = await fetchModels({ host, modelsDir: dir, models: [clip], makeDefault: true });
    expect(result!.files.map((f) => f.path)).toEqual(clip.files);
    for (const file of result!.files) {
      expect(file.sha256).toBe(createHash('sha256').update(files.get(file.path)!).digest('hex'));
      expect(statSync(join(dir, clip.id, file.path)).size).toBe(file.bytes);
    }
    const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), 'fetched');
    expect(manifest.defaults.clip).toBe('clip-vit-base-patch32');
    expect(manifest.models['clip-vit-base-patch32']).toMatchObject({ source: 'hub', calibration: { calibrated: false } });
    // The catalog names a branch: it is resolved once, every file comes from that commit, and the commit is recorded.
    const commit = commitOf(REPO, 'main');
    expect(manifest.models['clip-vit-base-patch32']!.origin).toEqual({ repo: REPO, revision: commit });
    expect(hub.served.filter((p) => p.startsWith(`/${REPO}/`)).every((p) => p.startsWith(`/${REPO}/resolve/${commit}/`))).toBe(true);
    expect(manifest.models['test-reward']).toBeDefined(); // the rest of the manifest is kept
    env.allowRemoteModels = false;
    env.localModelPath = `${dir}/`;
    const tokenizer = await AutoTokenizer.from_pretrained('clip-vit-base-patch32');
    expect(tokenizer.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it('resumes a cut-off download with a Range request, and skips files already complete', async () => {
    const dir = modelsDir();
    const tokenizer = files.get('tokenizer.json')!;
    mkdirSync(join(dir, clip.id), { recursive: true });
    writeFileSync(join(dir, clip.id, 'tokenizer.json.part'), tokenizer.subarray(0, 1_000_000));
    hub.ranges.length = 0;
    const [first] = await fetchModels({ host, modelsDir: dir, models: [clip] });
    expect(first!.resumed).toBe(1);
    expect(hub.ranges).toEqual(['tokenizer.json@1000000']);
    expect(readFileSync(join(dir, clip.id, 'tokenizer.json')).equals(tokenizer)).toBe(true);
    const lines: string[] = [];
    await fetchModels({ host, modelsDir: dir, models: [clip], log: (l) => lines.push(l) });
    const fileLines = lines.filter((l) => l.startsWith(`${clip.id}/`));
    expect(fileLines).toHaveLength(clip.files.length);
    expect(fileLines.every((l) => l.includes('already here'))).toBe(true);
    expect(lines).toContain(`${clip.id}: the catalog names ${REPO}@main, not a commit; fetching ${commitOf(REPO, 'main')} and recording it.`);
  });

  it('rejects a file whose sha256 does not match the listing, and keeps it aside', async () => {
    const dir = modelsDir();
    hub.tamper = (path, bytes) => (path === 'tokenizer.json' ? Buffer.from(bytes).fill(32, 0, 10) : undefined);
    try {
      await expect(fetchModels({ host, modelsDir: dir, models: [clip] })).rejects.toThrow(/sha256 .* does not match/);
    } finally {
      hub.tamper = null;
    }
    expect(existsSync(join(dir, clip.id, 'tokenizer.json'))).toBe(false);
    expect(existsSync(join(dir, clip.id, 'tokenizer.json.corrupt'))).toBe(true);
  });

  it('fetches the evaluator kinds in their repositories\' layout; a tier is installed once all its models are', async () => {
    const dir = modelsDir();
    const guard = serveGenerated('llama-guard-3-1b', 'test-llama-guard', 'onnx/model_q4.onnx');
    const toxic = serveGenerated('toxic-bert', 'test-toxic', 'onnx/model_quantized.onnx');
    const before = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), 'before');
    expect(() => tierModels(before, 'standard')).toThrow('Tier "standard" is not installed (missing clip "clip-vit-base-patch32", reward "llama-guard-3-1b"): run `npm run models:fetch -- --tier standard`.');
    await fetchModels({ host, modelsDir: dir, models: [clip, guard, toxic] });
    const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), 'fetched');
    expect(tierModels(manifest, 'standard').models).toMatchObject({ clip: 'clip-vit-base-patch32', reward: 'llama-guard-3-1b' });
    expect(tierModels(manifest, 'light').dtype?.clip).toEqual({ webgpu: 'fp32', wasm: 'q8' }); // q8 on WebGPU would run its integer ops on the CPU
    expect(manifest.models['llama-guard-3-1b']).toMatchObject({ kind: 'guard-generative', dtype: { webgpu: 'q4f16', webgpuWithoutF16: 'q4', wasm: 'q4' }, guard: { contentFormat: 'parts' }, origin: { revision: 'b4f19422fdd1847a0695341f06049b43d5b60a3a' } });
    expect(manifest.models['toxic-bert']).toMatchObject({ kind: 'sequence-classification', framing: 'response-only' });
    expect(statSync(join(dir, 'llama-guard-3-1b', 'onnx/model_q4.onnx')).size).toBe(statSync(resolve(import.meta.dirname, '../models/test-llama-guard/onnx/model.onnx')).size);
    expect(() => tierModels(manifest, 'paper')).toThrow(/missing clip "clip-vit-large-patch14-336", reward "skywork-reward-v2-qwen3-0.6b"/);
  });

  it('says which files a repository lacks', async () => {
    await expect(fetchModels({ host, modelsDir: modelsDir(), models: [{ ...clip, files: ['onnx/nope.onnx'] }] })).rejects.toThrow(
      `Xenova/clip-vit-base-patch32@${commitOf(REPO, 'main')} has no onnx/nope.onnx`,
    );
  });
});

describe('models:pin', () => {
  it("pins each model at a commit with every file's sha256 (the listing's for LFS files, hashed here for small git files); the pinned manifest keeps the tiers whose models are all pinned", async () => {
    const toxic = serveGenerated('toxic-bert', 'test-toxic', 'onnx/model_quantized.onnx');
    const pinned = await pinModels({ host, models: [clip, toxic] });
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(pinned['clip-vit-base-patch32']!.files).toEqual(clip.files.map((path) => ({ path, sha256: sha(files.get(path)!), bytes: files.get(path)!.length })));
    expect(pinned['clip-vit-base-patch32']!.origin).toEqual({ repo: REPO, revision: commitOf(REPO, 'main') });
    expect(pinned['toxic-bert']!.origin).toEqual({ repo: 'Xenova/toxic-bert', revision: toxic.revision }); // pinned in the catalog already

    const base = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, '../models/manifest.json'), 'utf8')), 'repo');
    const manifest = parseManifest(pinnedManifest(base, pinned), 'pinned');
    expect(Object.keys(manifest.tiers)).toEqual(['light']);
    expect(manifest.defaults).toEqual({ clip: 'clip-vit-base-patch32', reward: 'toxic-bert', ocr: 'ppocr-v4' });
    expect(Object.keys(manifest.models).sort()).toEqual(['clip-vit-base-patch32', 'ppocr-v4', 'toxic-bert']); // PP-OCRv4 still comes from modelBase (npm)
  });

  it('refuses a small file whose bytes disagree with the listing', async () => {
    hub.tamper = (path, bytes) => (path === 'config.json' ? bytes.subarray(1) : undefined);
    try {
      await expect(pinModels({ host, models: [clip] })).rejects.toThrow(/config\.json: \d+ bytes, the listing says \d+/);
    } finally {
      hub.tamper = null;
    }
  });
});


describe('vlm-guard fetch when the host cannot be reached', () => {
  it('names the host and the cause (refused, unknown name) and says how to get the models another way — not "run again"', async () => {
    const { fetchCommand } = await import('../src/cli/fetch-command.ts');
    const said: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void said.push(String(line)));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      for (const [host, cause] of [
        [`http://127.0.0.1:${await freePort()}`, 'ECONNREFUSED'], // nothing listens there
        ['http://hub.invalid', 'ENOTFOUND'],
      ] as const) {
        said.length = 0;
        expect(await fetchCommand(['--tier', 'light', '--models', modelsDir(), '--host', host])).toBe(1);
        const message = said.join('\n');
        expect(message).toContain(`cannot reach ${host}`);
        expect(message).toContain(cause);
        expect(message).toContain('--host');
        expect(message).toContain('vlm-guard add');
        expect(message).not.toMatch(/run again/i);
      }
    } finally {
      spy.mockRestore();
      log.mockRestore();
    }
  });
});
