/**
 * `../shared` beside the repository (the peers' scripts and SIPp scenarios), found from this file
 * whether it runs from bench/ under tsx or from dist/bench/; DIALTONE_SHARED_DIR overrides it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function locateSharedDir(): string {
  const fromEnv = process.env['DIALTONE_SHARED_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  for (const up of [['..', '..'], ['..', '..', '..']]) {
    const candidate = join(import.meta.dirname, ...up, 'shared');
    if (existsSync(join(candidate, 'peers'))) return candidate;
  }
  return join(import.meta.dirname, '..', '..', 'shared');
}

export const sharedDir = locateSharedDir();
export const peersDir = join(sharedDir, 'peers');
