import { join } from 'node:path';

/** `../shared` beside the repository (fixtures, seeds, peers): where developers and CI keep it. */
export const sharedDir = join(import.meta.dirname, '..', '..', '..', 'shared');

export const tortureFixturesDir = join(sharedDir, 'fixtures', 'sip-torture');
