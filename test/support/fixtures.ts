import { fileURLToPath } from 'node:url';

export const fixturePath = (relative: string): string =>
  fileURLToPath(new URL(`../fixtures/${relative}`, import.meta.url));
