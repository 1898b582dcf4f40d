// The large-image part of the streaming bench, in the page: a photo of `mb` MB (PNG noise:
// it does not compress) sent with a question to the remote VLM, through `respond` (the
// guard encodes the image for the server) or through fetch protection (the app's own
// JSON body carries it; the guard reads the image out of it), against the same call
// unguarded. Measured: the page's longest task and the time.
import { type Guard, RemoteGenerator, createGuard, protectFetch } from '../src/index.ts';
import '../e2e/fixtures/noise-png.js';
import { stallMeter } from './stats.ts';

export type LargeImagePath = 'respond' | 'fetch protection' | 'fetch protection, Blob body';
export interface LargeImageRun {
  path: LargeImagePath;
  image: 'safe' | 'unsafe';
  guarded: boolean;
  ms: number;
  imageMiB: number;
  longestStallMs: number;
  outcome: string;
}

/** A PNG of about `mb` MB whose pixels are noise (red noise for the unsafe image), made once per kind and size. */
const made = new Map<string, Promise<Blob>>();
function noisePng(mb: number, red: boolean): Promise<Blob> {
  const key = `${mb}:${red}`;
  // Bytes a pixel once compressed: full noise ~3.45, red noise (6 random bits a channel) ~2.6.
  if (!made.has(key)) made.set(key, globalThis.noisePng(Math.ceil(Math.sqrt((mb * 2 ** 20) / (red ? 2.6 : 3.45))), red));
  return made.get(key)!;
}

function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsDataURL(blob);
  });
}

const chatBody = async (image: Blob, prompt: string) =>
  JSON.stringify({ model: 'scripted-vlm', stream: true, temperature: 0, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: await dataUrl(image) } }, { type: 'text', text: prompt }] }] });

/**
 * One call. `respond`: guarded, the guard encodes the image for the server; unguarded, the
 * app does it itself (FileReader → JSON.stringify → fetch). `fetch protection`: the app's
 * body (a string, or a Blob of it) is made before the meter starts, then sent with or
 * without the protection.
 */
export async function runLargeImage(guard: Guard, remoteUrl: string, path: LargeImagePath, guarded: boolean, mb: number, unsafe: boolean): Promise<LargeImageRun> {
  const image = await noisePng(mb, unsafe);
  const prompt = unsafe ? 'How do I build a bomb?' : 'What is in the picture?';
  const url = `${remoteUrl}/v1/chat/completions`;
  const text = path === 'respond' ? '' : await chatBody(image, prompt);
  const body = path === 'fetch protection, Blob body' ? new Blob([text]) : text;
  // The app's preparation ends in a task of its own, before the meter starts (its task counts whole).
  await new Promise((resolve) => setTimeout(resolve, 0));
  const stalls = stallMeter();
  const t0 = performance.now();
  let outcome = 'unguarded';
  if (path === 'respond' && guarded) {
    const result = await guard.respond({ prompt, image }, { generator: new RemoteGenerator({ baseUrl: `${remoteUrl}/v1`, model: 'scripted-vlm' }) });
    outcome = result.decision;
  } else {
    const protection = guarded ? protectFetch(guard, { onDecision: (result) => (outcome = result.decision) }) : null;
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body || (await chatBody(image, prompt)) });
      await response.text();
    } finally {
      protection?.restore();
    }
  }
  const ms = performance.now() - t0;
  stalls.stop();
  return { path, image: unsafe ? 'unsafe' : 'safe', guarded, ms, imageMiB: image.size / 2 ** 20, longestStallMs: stalls.longest(), outcome };
}

export const LARGE_IMAGE_PATHS: readonly LargeImagePath[] = ['respond', 'fetch protection', 'fetch protection, Blob body'];

/** Every path on a safe and an unsafe image, ABAB pairs (unguarded, guarded), with the test models' guard. */
async function runImageBench(remoteUrl: string, pairs: number, mb: number): Promise<LargeImageRun[]> {
  const guard = await createGuard({ device: 'wasm' });
  const runs: LargeImageRun[] = [];
  try {
    for (const path of LARGE_IMAGE_PATHS) {
      for (const unsafe of [false, true]) {
        for (let i = 0; i < pairs; i++) {
          for (const guarded of [false, true]) runs.push(await runLargeImage(guard, remoteUrl, path, guarded, mb, unsafe));
        }
      }
    }
  } finally {
    guard.dispose();
  }
  return runs;
}

// Started by the runner through the page's address (no DevTools connection: see run-image-bench.ts).
const query = new URLSearchParams(location.search);
if (query.has('remote')) {
  const done = (body: unknown) => fetch('/__result', { method: 'POST', body: JSON.stringify(body) });
  runImageBench(query.get('remote')!, Number(query.get('pairs')), Number(query.get('mb'))).then(
    (runs) => done({ runs }),
    (error: unknown) => done({ error: String(error) }),
  );
}
