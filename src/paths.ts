import path from 'node:path';

/** Repository root, whether running from `src/` (tsx) or `dist/` (compiled). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Git-ignored cache for Temporal binaries and the dev server's SQLite file. */
export const TEMPORAL_CACHE_DIR = process.env.TEMPORAL_CACHE_DIR
  ? path.resolve(process.env.TEMPORAL_CACHE_DIR)
  : path.join(PROJECT_ROOT, '.temporal');
