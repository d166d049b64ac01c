/**
 * Compiled SQL for the statements every call runs, by shape. Kysely builds an operation tree and
 * compiles it to SQL for every query: for the nine statements of a `<Dial>`ed call that was 6 % of the
 * engine's main thread at 100 calls/s. A statement whose text depends only on its shape (which
 * columns, which filters) is built and compiled by Kysely once; later ones reuse its SQL with their
 * own parameters.
 *
 * Outside a transaction, a statement whose SQL is known goes to the driver directly when the dialect
 * offers that (`StatementRunner`): Kysely's executor adds nothing to it (no plugins are installed) but
 * a connection object and six async calls per statement.
 *
 * The caller supplies the parameters in the order Kysely puts them. That order is checked against
 * Kysely's own compilation the first time each shape is seen, so a caller that got it wrong fails
 * there, on its first statement, instead of writing values into the wrong columns.
 */
import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import { DialtoneError, ErrorCodes } from '../kernel/index.js';
import type { StatementRunner } from './database-connection.js';

export class QueryShapes {
  private readonly sqlByShape = new Map<string, string>();

  constructor(private readonly runStatement?: StatementRunner) {}

  /**
   * Runs the statement of `shape` with `parameters`; `build` makes it with Kysely the first time.
   * `db` is the pool or a transaction's connection: the SQL does not depend on which.
   */
  async execute<Database, Row>(db: Kysely<Database>, shape: string, parameters: unknown[], build: () => Compilable<Row>): Promise<QueryResult<Row>> {
    const sql = this.sqlByShape.get(shape);
    if (sql !== undefined) {
      const query = CompiledQuery.raw(sql, parameters);
      if (this.runStatement !== undefined && !db.isTransaction) return this.runStatement(query) as Promise<QueryResult<Row>>;
      return db.executeQuery<Row>(query);
    }
    const compiled = build().compile();
    if (!sameParameters(compiled.parameters, parameters)) {
      throw new DialtoneError(ErrorCodes.internal, `query shape ${shape}: parameters are not in the order of its SQL`, { shape, sql: compiled.sql });
    }
    this.sqlByShape.set(shape, compiled.sql);
    return db.executeQuery(compiled);
  }

  /** `execute`'s rows. */
  async rows<Database, Row>(db: Kysely<Database>, shape: string, parameters: unknown[], build: () => Compilable<Row>): Promise<Row[]> {
    return (await this.execute(db, shape, parameters, build)).rows;
  }
}

function sameParameters(compiled: readonly unknown[], given: readonly unknown[]): boolean {
  return compiled.length === given.length && compiled.every((value, index) => Object.is(value, given[index]));
}
