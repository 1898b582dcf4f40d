// npm run bench:image on its own: see large-image.ts (also a stage of npm run bench).
import { runAlone } from './bench-report.ts';
import { measureLargeImage } from './large-image.ts';

await runAlone(measureLargeImage);
