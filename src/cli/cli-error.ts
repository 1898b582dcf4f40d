// What the CLI's commands share: a usage or input error (one line, exit status 2) and
// the models folder they work on.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export class CliError extends Error {}

/** --models, else the folder `init` makes (public/models), else ./models. */
export function modelsFolder(given: string | undefined): string {
  if (given) return resolve(given);
  const initialised = resolve('public/models');
  return existsSync(resolve(initialised, 'manifest.json')) ? initialised : resolve('models');
}
