/**
 * Every migration, in order. Listed explicitly (not discovered on disk) so that the same list works
 * from TypeScript sources under tsx and from the compiled dist/ tree. Append only: a released
 * migration is never edited, a change is a new file with the next version.
 */
import { migration001Initial } from './001_initial.js';
import { migration002FinalCallback } from './002_final_callback.js';
import { migration003DeliveryQueue } from './003_delivery_queue.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

export const migrations: readonly Migration[] = [migration001Initial, migration002FinalCallback, migration003DeliveryQueue];
