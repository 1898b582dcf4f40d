// npm run bench:deep on its own: see deep-cost.ts (also a stage of npm run bench).
import { runAlone } from './bench-report.ts';
import { measureDeepCost } from './deep-cost.ts';

await runAlone(measureDeepCost);
