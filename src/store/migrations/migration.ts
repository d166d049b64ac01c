import type { Kysely } from 'kysely';
import type { Dialect } from '../database-schema.js';

/**
 * One versioned schema change. `up` runs inside the migration transaction (DDL is transactional in
 * both SQLite and PostgreSQL), so a failed migration leaves no half-built table behind. Migrations
 * take `Kysely<any>` on purpose: they describe the schema as it was at their version, not as the
 * current DatabaseSchema types say it is.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}
