/**
 * Applies the versioned migrations in src/store/migrations at open. All pending migrations run in one
 * transaction together with their rows in schema_migrations, so a crash leaves the schema at the old
 * version or the new one, never between. Two processes opening the same database at once are
 * serialised: PostgreSQL by a transaction-scoped advisory lock, SQLite by BEGIN IMMEDIATE (the second
 * waits for the first's write lock), and the loser then finds the versions already recorded.
 */
import { type Kysely, sql } from 'kysely';
import { type Clock, DialtoneError, ErrorCodes, type Logger } from '../kernel/index.js';
import { inTransaction } from './database-connection.js';
import type { DatabaseSchema, Dialect } from './database-schema.js';
import type { Migration } from './migrations/index.js';

// An arbitrary constant naming "Dialtone's schema" among advisory locks of other applications.
const advisoryLockKey = 74_210_501;

export interface MigrateOptions {
  clock: Clock;
  logger: Logger;
}

/** Returns the versions applied by this call (empty when the schema was already current). */
export async function migrate(
  db: Kysely<DatabaseSchema>,
  dialect: Dialect,
  list: readonly Migration[],
  options: MigrateOptions,
): Promise<number[]> {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new DialtoneError(ErrorCodes.storeMigrationFailed, `migration list out of order at ${migration.name}`, {
        version: migration.version,
      });
    }
  });
  try {
    return await inTransaction(db, async (connection) => {
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${advisoryLockKey})`.execute(connection);
      await connection.schema
        .createTable('schema_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .execute();
      const recorded = await connection.selectFrom('schema_migrations').select(['version', 'name']).execute();
      const known = new Map(list.map((migration) => [migration.version, migration.name]));
      for (const row of recorded) {
        const name = known.get(row.version);
        // A database migrated by a newer Dialtone, or a migration renamed after release: refuse rather
        // than run code against a schema it was not written for.
        if (name !== row.name) {
          throw new DialtoneError(
            ErrorCodes.storeMigrationFailed,
            name === undefined
              ? `database schema version ${row.version} (${row.name}) is newer than this Dialtone knows`
              : `migration ${row.version} is recorded as "${row.name}" but this Dialtone calls it "${name}"`,
            { version: row.version },
          );
        }
      }
      const done = new Set(recorded.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of list) {
        if (done.has(migration.version)) continue;
        await migration.up(connection, dialect);
        await connection
          .insertInto('schema_migrations')
          .values({ version: migration.version, name: migration.name, applied_at: options.clock.now() })
          .execute();
        applied.push(migration.version);
        options.logger.info('store migration applied', { version: migration.version, name: migration.name });
      }
      return applied;
    });
  } catch (error) {
    if (error instanceof DialtoneError) throw error;
    throw new DialtoneError(ErrorCodes.storeMigrationFailed, `migrating the database failed: ${(error as Error).message}`, {}, { cause: error });
  }
}
