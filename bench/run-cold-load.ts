// npm run bench:cold-load on its own: see cold-load.ts (also a stage of npm run bench).
import { runAlone } from './bench-report.ts';
import { measureColdLoad } from './cold-load.ts';

await runAlone(measureColdLoad);
