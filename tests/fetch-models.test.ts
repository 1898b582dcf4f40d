// models:fetch against a local Hugging Face-like server that serves the REAL CLIP
// config/tokenizer files from the fixtures (the hub itself is unreachable here):
// listing, download, resume with Range, sha256 verification, manifest writing.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, type HubModel } from '../scripts/fetch/catalog.ts';
import { fetchModels } from '../scripts/fetch/fetch-models.ts';
import { parseManifest, tierModels } from '../src/runtime/manifest.ts';

const FIXTURE = resolve(import.meta.dirname, '../../shared/fixtures/clip-vit-base-patch32');
const REPO = 'Xenova/clip-vit-base-patch32';
const files = new Map<string, Buffer>();
/** Repositories served, by "repo@revision": the CLIP fixture files and the generated evaluator-kind models in their real repos' layout. */
const repos = new Map<string, Map<string, Buffer>>([[`${REPO}@main`, files]]);
/** The commit a served branch stands at (made up, stable): "repo@commit" → "repo@branch". */
const commitOf = (repo: string, revision: string) => (/^[0-9a-f]{40}$/.test(revision) ? revision : createHash('sha1').update(`${repo}@${revision}`).digest('hex'));
const servedAt = (repo: string, revision: string) =>
  repos.get(`${repo}@${revision}`) ?? [...repos].find(([key]) => key.startsWith(`${repo}@`) && commitOf(repo, key.slice(repo.length + 1)) === revision)?.[1];
const served: string[] = [];
let server: Server;
let host: string;
let corrupt = false;
const ranges: string[] = [];

/** A generated model folder served as a catalog model's repository (its ONNX under the dtype's file name). */
function serveGenerated(catalogId: string, generated: string, onnxAs: string): HubModel {
  const model = CATALOG.find((m) => m.id === catalogId) as HubModel;
  const dir = resolve(import.meta.dirname, '../models', generated);
  const served = new Map<string, Buffer>();
  for (const path of model.files) {
    const source = path === onnxAs ? 'onnx/model.onnx' : path;
    if (existsSync(join(dir, source))) served.set(path, readFileSync(join(dir, source)));
  }
  repos.set(`${model.repo}@${model.revision}`, served);
  return { ...model, files: [...served.keys()] };
}

beforeAll(async () => {
  for (const name of readdirSync(FIXTURE)) files.set(name, readFileSync(join(FIXTURE, name)));
  files.set('onnx/text_model.onnx', readFileSync(resolve(import.meta.dirname, '../models/test-clip/onnx/text_model.onnx')));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const revision = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (revision) {
      const [, repo, rev] = revision as unknown as [string, string, string];
      if (!servedAt(repo, decodeURIComponent(rev))) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ id: repo, sha: commitOf(repo, decodeURIComponent(rev)) }));
    }
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
    const listed = tree ? servedAt(tree[1]!, tree[2]!) : undefined;
    if (tree && listed) {
      const folder = tree[3] ?? '';
      const entries = new Map<string, object>();
      for (const [path, bytes] of listed) {
        if (folder && !path.startsWith(`${folder}/`)) continue;
        const rest = folder ? path.slice(folder.length + 1) : path;
        if (rest.includes('/')) {
          const dir = (folder ? `${folder}/` : '') + rest.split('/')[0];
          entries.set(dir, { type: 'directory', path: dir, size: 0 });
        } else {
          // Like the hub: large files are LFS with a sha256, small ones are not.
          const lfs = path.endsWith('.onnx') || path === 'tokenizer.json' ? { lfs: { oid: createHash('sha256').update(bytes).digest('hex'), size: bytes.length } } : {};
          entries.set(path, { type: 'file', path, size: bytes.length, ...lfs });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify([...entries.values()]));
    }
    const resolved = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const path = resolved?.[3] ?? '';
    const bytes = resolved ? servedAt(resolved[1]!, resolved[2]!)?.get(path) : undefined;
    if (!bytes) return void res.writeHead(404).end();
    served.push(url.pathname);
    const body = corrupt && path === 'tokenizer.json' ? Buffer.from(bytes).fill(32, 0, 10) : bytes;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      ranges.push(`${path}@${range[1]}`);
      res.writeHead(206, { 'content-range': `bytes ${range[1]}-${body.length - 1}/${body.length}` });
      return void res.end(body.subarray(Number(range[1])));
    }
    res.writeHead(200).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

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
    expect(served.filter((p) => p.startsWith(`/${REPO}/`)).every((p) => p.startsWith(`/${REPO}/resolve/${commit}/`))).toBe(true);
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
    ranges.length = 0;
    const [first] = await fetchModels({ host, modelsDir: dir, models: [clip] });
    expect(first!.resumed).toBe(1);
    expect(ranges).toEqual(['tokenizer.json@1000000']);
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
    corrupt = true;
    try {
      await expect(fetchModels({ host, modelsDir: dir, models: [clip] })).rejects.toThrow(/sha256 .* does not match/);
    } finally {
      corrupt = false;
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
