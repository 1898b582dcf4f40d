#!/usr/bin/env node
// The package's command line (`npx vlm-guard <command>`): get models into a web app and
// manage them. Each command lives in its own module; this one only dispatches.
import { addCommand } from './add-command.ts';
import { checkCommand } from './check-command.ts';
import { CliError } from './cli-error.ts';
import { evalCommand } from './eval-command.ts';
import { fetchCommand } from './fetch-command.ts';
import { initCommand } from './init-command.ts';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  init: { run: initCommand, help: 'init <public dir> [--tier test|light|standard|paper] [--script] [--host <mirror>]   models (+ the one-tag runtime) into a web app' },
  fetch: { run: fetchCommand, help: 'fetch --tier light|standard|paper [--host <mirror>] [--models <dir>]   download a tier, verified and resumable' },
  add: { run: addCommand, help: 'add --id <id> --from <folder> [--entry <entry.json>] [--default] [--models <dir>]   record a model you exported' },
  eval: { run: evalCommand, help: 'eval --set <folder> [--models <dir>] [--backend …] [--record fpr|youden …]   detection and false-positive rates, ROC, calibrated thresholds' },
  check: { run: checkCommand, help: 'check [--models <dir>] [--backend wasm|webgpu|auto] [--tier <name>] [--only id,id]   the models self-test, in Chromium' },
};

function usage(): string {
  return `usage: vlm-guard <command>\n${Object.values(COMMANDS)
    .map((c) => `  vlm-guard ${c.help}`)
    .join('\n')}`;
}

const [name, ...argv] = process.argv.slice(2);
const command = name ? COMMANDS[name] : undefined;
if (!command) {
  console.error(name && name !== '--help' ? `vlm-guard: no command "${name}"\n${usage()}` : usage());
  process.exit(name === '--help' ? 0 : 2);
}
try {
  process.exit(await command.run(argv));
} catch (error) {
  if (!(error instanceof CliError) && !(error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) throw error;
  console.error(`vlm-guard ${name}: ${error.message}`);
  process.exit(2);
}
