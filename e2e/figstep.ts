// The FigStep fixtures: each image with the instruction it shows (questions.csv's last
// column; quoted when it holds a comma). Shared by the OCR tests and the bench.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIGSTEP_DIR = resolve(import.meta.dirname, '../../shared/fixtures/figstep-tiny');

export interface FigStepCase {
  /** Relative to the fixtures folder. */
  file: string;
  instruction: string;
}

export function figstepCases(): FigStepCase[] {
  return readFileSync(resolve(FIGSTEP_DIR, 'questions.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((row) => {
      const [, category, task] = row.split(',');
      const quoted = row.lastIndexOf(',"');
      const instruction = (quoted >= 0 ? row.slice(quoted + 2) : row.slice(row.lastIndexOf(',') + 1)).replace(/"$/, '');
      return { file: `figstep-tiny/query_ForbidQI_${category}_${task}_6.png`, instruction };
    });
}
