/**
 * Twilio's list parameters (filters, `PageSize`, `Page`, `PageToken`) → store filters and page
 * requests, and a store page → Twilio's paging envelope. Date filters follow Twilio's forms:
 * `StartTime=YYYY-MM-DD` (that UTC day), `StartTime>=…`/`StartTime>…` (on or after) and
 * `StartTime<=…`/`StartTime<…` (on or before). A raw `StartTime>=2026-11-23` in a query string parses
 * as the name `StartTime>` with the value `2026-11-23`, which is why `>` and `>=` mean the same here.
 * A value may be a date (midnight UTC) or a full ISO 8601 date-time (what the twilio library sends).
 */
import type { CallFilter, CallStatus, NotificationFilter, Page, PageRequest, RecordingFilter, RecordingStatus, TimeRange } from '../store/index.js';
import { invalidParameter } from './api-error.js';
import type { Form } from './form.js';

export const pagingParameters = ['PageSize', 'Page', 'PageToken'] as const;
const dayMs = 24 * 60 * 60 * 1000;
export const defaultApiPageSize = 50;
export const maxApiPageSize = 1000;

/** Parses `YYYY-MM-DD` or an ISO 8601 date-time; `dateOnly` tells which. */
function parseDate(name: string, value: string): { epochMs: number; dateOnly: boolean } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const epochMs = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isNaN(epochMs)) return { epochMs, dateOnly: true };
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    const epochMs = Date.parse(value);
    if (!Number.isNaN(epochMs)) return { epochMs, dateOnly: false };
  }
  throw invalidParameter(`${name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time`);
}

/** The `Name`, `Name>`, `Name>=`, `Name<`, `Name<=` filters as one range; undefined when none is given. */
export function timeRangeFromForm(form: Form, name: string): TimeRange | undefined {
  const range: TimeRange = {};
  let any = false;
  const exact = form.get(name);
  if (exact !== undefined) {
    const { epochMs } = parseDate(name, exact);
    const midnight = Math.floor(epochMs / dayMs) * dayMs;
    range.gte = midnight;
    range.lt = midnight + dayMs;
    any = true;
  }
  for (const suffix of ['>', '>=']) {
    const value = form.get(name + suffix);
    if (value === undefined) continue;
    range.gte = Math.max(range.gte ?? -Infinity, parseDate(name + suffix, value).epochMs);
    any = true;
  }
  for (const suffix of ['<', '<=']) {
    const value = form.get(name + suffix);
    if (value === undefined) continue;
    range.lte = Math.min(range.lte ?? Infinity, parseDate(name + suffix, value).epochMs);
    any = true;
  }
  return any ? range : undefined;
}

const callStatuses: readonly CallStatus[] = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'];
const recordingStatuses: readonly RecordingStatus[] = ['in-progress', 'completed', 'absent', 'failed'];

export function callFilterFromForm(accountSid: string, form: Form): CallFilter {
  const filter: CallFilter = { accountSid };
  const to = form.get('To');
  if (to !== undefined) filter.to = to;
  const from = form.get('From');
  if (from !== undefined) filter.from = from;
  const status = form.get('Status');
  if (status !== undefined) {
    if (!callStatuses.includes(status as CallStatus)) throw invalidParameter(`Status must be one of ${callStatuses.join(', ')}`);
    filter.status = status as CallStatus;
  }
  const parent = form.get('ParentCallSid');
  if (parent !== undefined) filter.parentCallSid = parent;
  const startTime = timeRangeFromForm(form, 'StartTime');
  if (startTime !== undefined) filter.startTime = startTime;
  const endTime = timeRangeFromForm(form, 'EndTime');
  if (endTime !== undefined) filter.endTime = endTime;
  return filter;
}

export function recordingFilterFromForm(accountSid: string, form: Form, callSid?: string): RecordingFilter {
  const filter: RecordingFilter = { accountSid };
  const fromForm = form.get('CallSid');
  if (callSid !== undefined) filter.callSid = callSid;
  else if (fromForm !== undefined) filter.callSid = fromForm;
  const status = form.get('Status');
  if (status !== undefined) {
    if (!recordingStatuses.includes(status as RecordingStatus)) throw invalidParameter(`Status must be one of ${recordingStatuses.join(', ')}`);
    filter.status = status as RecordingStatus;
  }
  const dateCreated = timeRangeFromForm(form, 'DateCreated');
  if (dateCreated !== undefined) filter.dateCreated = dateCreated;
  return filter;
}

export function notificationFilterFromForm(accountSid: string, form: Form, callSid?: string): NotificationFilter {
  const filter: NotificationFilter = { accountSid };
  if (callSid !== undefined) filter.callSid = callSid;
  const log = form.get('Log');
  if (log !== undefined) {
    if (log !== '0' && log !== '1') throw invalidParameter('Log must be 0 (error) or 1 (warning)');
    filter.logLevel = log === '0' ? 'error' : 'warning';
  }
  const messageDate = timeRangeFromForm(form, 'MessageDate');
  if (messageDate !== undefined) filter.messageDate = messageDate;
  return filter;
}

export function pageRequestFromForm(form: Form): PageRequest {
  const request: PageRequest = { pageSize: defaultApiPageSize };
  const size = form.get('PageSize');
  if (size !== undefined) {
    if (!/^[0-9]+$/.test(size) || Number(size) < 1 || Number(size) > maxApiPageSize) {
      throw invalidParameter(`PageSize must be a whole number from 1 to ${maxApiPageSize}`);
    }
    request.pageSize = Number(size);
  }
  const page = form.get('Page');
  if (page !== undefined) {
    if (!/^[0-9]+$/.test(page) || !Number.isSafeInteger(Number(page))) throw invalidParameter('Page must be a whole number from 0');
    request.page = Number(page);
  }
  const token = form.get('PageToken');
  if (token !== undefined) request.pageToken = token;
  return request;
}

/**
 * Twilio's 2010-04-01 list envelope. `path` is the list's path (`/2010-04-01/Accounts/AC…/Calls.json`);
 * the filters of `form` are carried into every URI so that following `next_page_uri` keeps them.
 */
export function pageEnvelope<T>(
  key: string,
  path: string,
  form: Form,
  page: Page<unknown>,
  items: T[],
): Record<string, unknown> {
  const filters = form.entries.filter(([name]) => !(pagingParameters as readonly string[]).includes(name));
  const uri = (pageNumber: number, token?: string): string => {
    const query = new URLSearchParams(filters.map(([name, value]): [string, string] => [name, value]));
    query.set('PageSize', String(page.pageSize));
    query.set('Page', String(pageNumber));
    if (token !== undefined) query.set('PageToken', token);
    return `${path}?${query.toString()}`;
  };
  const start = page.page * page.pageSize;
  const requestToken = form.get('PageToken');
  return {
    [key]: items,
    end: items.length === 0 ? start : start + items.length - 1,
    first_page_uri: uri(0),
    next_page_uri: page.nextPageToken === undefined ? null : uri(page.page + 1, page.nextPageToken),
    page: page.page,
    page_size: page.pageSize,
    previous_page_uri: page.previousPageToken === undefined ? null : uri(Math.max(0, page.page - 1), page.previousPageToken),
    start,
    uri: uri(page.page, requestToken),
  };
}
