// npm run bench:stream on its own: see streaming.ts (also a stage of npm run bench).
import { runAlone } from './bench-report.ts';
import { measureStreaming } from './streaming.ts';

await runAlone(measureStreaming);
