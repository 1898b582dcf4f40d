// Must NOT type-check: the package's types are real (not `any`), so tsc rejects each line.
import { createGuard } from 'vlm-guard';

export const wrongDevice = createGuard({ device: 'cuda' });
export const wrongDecision = async () => (await (await createGuard()).evaluate({ image: 'a.png', response: 'x' })).decision === 'block';
