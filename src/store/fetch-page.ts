/**
 * Paging for the REST lists, newest first. Two ways in, as Twilio has both:
 * - `pageToken` (what `next_page_uri` carries): keyset paging on (date_created, sid). Stable while
 *   rows are being inserted — a new call never shifts the pages a client is walking — and as cheap on
 *   page 1000 as on page 1.
 * - `page` without a token (legacy `Page=N`): OFFSET N × pageSize, for clients that count pages.
 * Tokens are opaque base64url JSON: direction, the boundary row's (date_created, sid), page number.
 */
import { type SelectQueryBuilder, sql } from 'kysely';
import { DialtoneError, ErrorCodes } from '../kernel/index.js';

export interface PageRequest {
  /** Default 50, at most 1000 (Twilio's limits). */
  pageSize?: number;
  /** Zero-based page number, used only without a pageToken. */
  page?: number;
  pageToken?: string;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  nextPageToken?: string;
  previousPageToken?: string;
}

/** Bounds on a time column, epoch milliseconds; each bound is optional. */
export interface TimeRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export const defaultPageSize = 50;
export const maxPageSize = 1000;

interface PageCursor {
  direction: 'next' | 'previous';
  dateCreated: number;
  sid: string;
  page: number;
}

interface KeysetRow {
  date_created: number;
  sid: string;
}

function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.direction === 'next' ? 'n' : 'p', cursor.dateCreated, cursor.sid, cursor.page])).toString('base64url');
}

function decodeCursor(token: string): PageCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 4 &&
      (value[0] === 'n' || value[0] === 'p') &&
      Number.isSafeInteger(value[1]) &&
      typeof value[2] === 'string' &&
      Number.isSafeInteger(value[3]) &&
      (value[3] as number) >= 0
    ) {
      return { direction: value[0] === 'n' ? 'next' : 'previous', dateCreated: value[1] as number, sid: value[2], page: value[3] as number };
    }
  } catch {
    // Falls through to the error below: a token that is not base64url JSON is as invalid as a wrong shape.
  }
  throw new DialtoneError(ErrorCodes.storePageTokenInvalid, 'invalid PageToken', { pageToken: token });
}

function checkedPageSize(request: PageRequest): number {
  const size = request.pageSize ?? defaultPageSize;
  if (!Number.isSafeInteger(size) || size < 1 || size > maxPageSize) {
    throw new DialtoneError(ErrorCodes.storePageTokenInvalid, `PageSize must be 1 to ${maxPageSize}`, { pageSize: size });
  }
  return size;
}

/** Adds the bounds of `range` on `column` to a query. */
export function whereTimeRange<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: string,
  range: TimeRange | undefined,
): SelectQueryBuilder<DB, TB, O> {
  if (range === undefined) return query;
  const ref = sql.ref(column);
  let result = query;
  if (range.gt !== undefined) result = result.where(sql<boolean>`${ref} > ${range.gt}`);
  if (range.gte !== undefined) result = result.where(sql<boolean>`${ref} >= ${range.gte}`);
  if (range.lt !== undefined) result = result.where(sql<boolean>`${ref} < ${range.lt}`);
  if (range.lte !== undefined) result = result.where(sql<boolean>`${ref} <= ${range.lte}`);
  return result;
}

/** Runs a filtered query (its table must have date_created and sid) one page at a time. */
export async function fetchPage<DB, TB extends keyof DB, O extends KeysetRow, R>(
  query: SelectQueryBuilder<DB, TB, O>,
  request: PageRequest,
  map: (row: O) => R,
): Promise<Page<R>> {
  const pageSize = checkedPageSize(request);
  const cursor = request.pageToken === undefined || request.pageToken === '' ? undefined : decodeCursor(request.pageToken);
  const newestFirst = (q: SelectQueryBuilder<DB, TB, O>) =>
    q.orderBy(sql`date_created`, 'desc').orderBy(sql`sid`, 'desc');
  let rows: O[];
  let page: number;
  let hasNewer: boolean;
  let hasOlder: boolean;
  if (cursor === undefined) {
    page = request.page ?? 0;
    if (!Number.isSafeInteger(page) || page < 0) {
      throw new DialtoneError(ErrorCodes.storePageTokenInvalid, 'Page must be a whole number from 0', { page });
    }
    rows = await newestFirst(query).limit(pageSize + 1).offset(page * pageSize).execute();
    hasOlder = rows.length > pageSize;
    rows = rows.slice(0, pageSize);
    hasNewer = page > 0;
  } else if (cursor.direction === 'next') {
    page = cursor.page;
    rows = await newestFirst(
      query.where(sql<boolean>`(date_created < ${cursor.dateCreated} or (date_created = ${cursor.dateCreated} and sid < ${cursor.sid}))`),
    )
      .limit(pageSize + 1)
      .execute();
    hasOlder = rows.length > pageSize;
    rows = rows.slice(0, pageSize);
    hasNewer = true;
  } else {
    // Walking back: read oldest-first from the boundary, then restore newest-first order.
    page = cursor.page;
    rows = await query
      .where(sql<boolean>`(date_created > ${cursor.dateCreated} or (date_created = ${cursor.dateCreated} and sid > ${cursor.sid}))`)
      .orderBy(sql`date_created`, 'asc')
      .orderBy(sql`sid`, 'asc')
      .limit(pageSize + 1)
      .execute();
    hasNewer = rows.length > pageSize;
    rows = rows.slice(0, pageSize).reverse();
    hasOlder = true;
  }
  const result: Page<R> = { items: rows.map(map), page, pageSize };
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (hasOlder && last !== undefined) {
    result.nextPageToken = encodeCursor({ direction: 'next', dateCreated: last.date_created, sid: last.sid, page: page + 1 });
  }
  if (hasNewer && first !== undefined) {
    result.previousPageToken = encodeCursor({ direction: 'previous', dateCreated: first.date_created, sid: first.sid, page: Math.max(0, page - 1) });
  }
  return result;
}
