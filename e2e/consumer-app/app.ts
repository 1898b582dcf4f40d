// A TypeScript app using the package's types (checked with tsc --noEmit, strict).
import { type Decision, type EvaluationResult, type GuardOptions, createGuard, isGuardError } from 'vlm-guard';

const options: GuardOptions = { device: 'wasm', tier: 'test', policy: 'eta-paper' };

export async function judge(image: Blob, response: string): Promise<Decision | 'error'> {
  try {
    const guard = await createGuard(options);
    const result: EvaluationResult = await guard.evaluate({ image, response });
    const score: number | null = result.image.score;
    console.log(result.reason, score);
    return result.decision;
  } catch (error) {
    if (isGuardError(error, 'MANIFEST_UNREACHABLE')) return 'error';
    throw error;
  }
}
