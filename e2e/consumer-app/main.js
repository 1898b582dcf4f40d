// A bundled app's code (Vite, webpack): the bare import and createGuard() with no options.
import { createGuard } from 'vlm-guard';

window.consumerResult = createGuard().then(window.runConsumerCheck).catch(window.describeFailure);
