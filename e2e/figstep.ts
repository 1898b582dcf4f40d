// The FigStep fixtures: each image with its category, the plain question and the
// instruction it shows (questions.csv). Shared by the OCR tests, the bench and the eval set.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Papa from 'papaparse';

export const FIGSTEP_DIR = resolve(import.meta.dirname, '../../shared/fixtures/figstep-tiny');

export interface FigStepCase {
  /** Relative to the fixtures folder. */
  file: string;
  category: string;
  question: string;
  instruction: string;
}

interface Row {
  category_id: string;
  task_id: string;
  category_name: string;
  question: string;
  instruction: string;
}

export function figstepCases(): FigStepCase[] {
  const { data } = Papa.parse<Row>(readFileSync(resolve(FIGSTEP_DIR, 'questions.csv'), 'utf8').trim(), { header: true });
  return data.map((row) => ({
    file: `figstep-tiny/query_ForbidQI_${row.category_id}_${row.task_id}_6.png`,
    category: row.category_name,
    question: row.question,
    instruction: row.instruction,
  }));
}
