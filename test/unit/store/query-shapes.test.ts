/**
 * The compiled-SQL cache of the store's hot statements: a shape is compiled by Kysely once and its SQL
 * reused with each statement's own parameters; parameters given in another order than the SQL's are
 * refused on the shape's first statement, before anything is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { isDialtoneError, ErrorCodes } from '../../../src/kernel/index.js';
import { QueryShapes } from '../../../src/store/query-shapes.js';

interface Schema {
  items: { id: string; label: string; rank: number };
}

async function openItems(): Promise<Kysely<Schema>> {
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await db.schema.createTable('items').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('label', 'text').addColumn('rank', 'integer').execute();
  return db;
}

test('a shape is built once; its later statements run its SQL with their own parameters', async () => {
  const db = await openItems();
  const shapes = new QueryShapes();
  let builds = 0;
  const insert = (row: Schema['items']) =>
    shapes.rows(db, 'items.insert', Object.values(row), () => {
      builds += 1;
      return db.insertInto('items').values(row);
    });
  await insert({ id: 'a', label: 'first', rank: 1 });
  await insert({ id: 'b', label: 'second', rank: 2 });
  await insert({ id: 'c', label: 'third', rank: 3 });
  assert.equal(builds, 1);

  const rename = (id: string, label: string) =>
    shapes.rows(db, 'items.rename', [label, id], () => {
      builds += 1;
      return db.updateTable('items').set({ label }).where('id', '=', id).returningAll();
    });
  assert.deepEqual(await rename('b', 'renamed'), [{ id: 'b', label: 'renamed', rank: 2 }]);
  assert.deepEqual(await rename('zz', 'nobody'), []);
  assert.equal(builds, 2);
  assert.deepEqual(await db.selectFrom('items').selectAll().orderBy('id').execute(), [
    { id: 'a', label: 'first', rank: 1 },
    { id: 'b', label: 'renamed', rank: 2 },
    { id: 'c', label: 'third', rank: 3 },
  ]);
  await db.destroy();
});

test('parameters in another order than the SQL are refused on the first statement, and nothing is written', async () => {
  const db = await openItems();
  const shapes = new QueryShapes();
  const row = { id: 'a', label: 'first', rank: 1 };
  await assert.rejects(
    shapes.rows(db, 'items.insert', [row.label, row.id, row.rank], () => db.insertInto('items').values(row)),
    (error: unknown) => isDialtoneError(error) && error.code === ErrorCodes.internal && /items\.insert/.test(error.message),
  );
  assert.deepEqual(await db.selectFrom('items').selectAll().execute(), []);
  // Not cached: the same shape with its parameters in order is checked again and runs.
  await shapes.rows(db, 'items.insert', Object.values(row), () => db.insertInto('items').values(row));
  assert.deepEqual(await db.selectFrom('items').selectAll().execute(), [row]);
  await db.destroy();
});

test("with the dialect's statement runner, a known shape outside a transaction goes to it; inside one, to the transaction's connection", async () => {
  const db = await openItems();
  const ran: string[] = [];
  const shapes = new QueryShapes((query) => {
    ran.push(query.sql);
    return db.executeQuery(query);
  });
  const insert = (on: Kysely<Schema>, row: Schema['items']) => shapes.rows(on, 'items.insert', Object.values(row), () => on.insertInto('items').values(row));
  await insert(db, { id: 'a', label: 'first', rank: 1 });
  assert.deepEqual(ran, [], 'the first statement of a shape is compiled and run by Kysely');
  await insert(db, { id: 'b', label: 'second', rank: 2 });
  assert.equal(ran.length, 1);
  assert.match(ran[0]!, /^insert into "items"/);

  // A statement inside a transaction must run on its connection: it is rolled back with it.
  await assert.rejects(
    db.transaction().execute(async (tx) => {
      await insert(tx, { id: 'c', label: 'third', rank: 3 });
      throw new Error('roll back');
    }),
    /roll back/,
  );
  assert.equal(ran.length, 1);
  assert.deepEqual((await db.selectFrom('items').select('id').orderBy('id').execute()).map((item) => item.id), ['a', 'b']);
  await db.destroy();
});
