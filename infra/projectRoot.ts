import { fileURLToPath } from 'node:url';

/** The repository root, so that constructs find `functions/` and `statemachines/` from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
