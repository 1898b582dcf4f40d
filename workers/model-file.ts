// Fetches one model file for a bare onnxruntime-web worker, with progress and typed errors.
import { GuardError } from '../src/errors.ts';
import type { ProgressSink } from '../src/runtime/contracts.ts';

export async function fetchModelFile(url: string, modelId: string, onProgress?: ProgressSink): Promise<ArrayBuffer> {
  const file = url.slice(url.lastIndexOf('/') + 1);
  void onProgress?.({ model: modelId, status: 'download', file });
  const response = await fetch(url).catch((cause: unknown) => {
    throw new GuardError('MODEL_LOAD_FAILED', `Could not fetch ${url}: ${String(cause)}`, { url, model: modelId });
  });
  if (!response.ok) {
    throw new GuardError('MODEL_FILE_MISSING', `Model file not found: ${url} (HTTP ${response.status}). Check modelBase, and \`npm run assets\` / \`npm run models:fetch\`.`, { url, model: modelId });
  }
  const bytes = await response.arrayBuffer();
  void onProgress?.({ model: modelId, status: 'done', file, loaded: bytes.byteLength, total: bytes.byteLength, progress: 100 });
  return bytes;
}
