import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../src/api/index.js';
import { Form } from '../../../src/api/form.js';
import { callFilterFromForm, pageEnvelope, pageRequestFromForm, timeRangeFromForm } from '../../../src/api/list-parameters.js';
import { accountSid } from './api-fixture.js';

const day = Date.UTC(2026, 10, 23);
const dayMs = 86_400_000;

test('StartTime=D is that UTC day; > and >= mean on or after; < and <= on or before', () => {
  assert.deepEqual(timeRangeFromForm(Form.parse('StartTime=2026-11-23'), 'StartTime'), { gte: day, lt: day + dayMs });
  // A raw `StartTime>=2026-11-23` parses as the name `StartTime>`.
  assert.deepEqual(timeRangeFromForm(Form.parse('StartTime>=2026-11-23'), 'StartTime'), { gte: day });
  assert.deepEqual(timeRangeFromForm(Form.parse('StartTime%3E%3D=2026-11-23'), 'StartTime'), { gte: day });
  assert.deepEqual(timeRangeFromForm(Form.parse('StartTime<=2026-11-23'), 'StartTime'), { lte: day });
  // What the twilio library sends for startTimeAfter / startTimeBefore: ISO date-times.
  assert.deepEqual(
    timeRangeFromForm(Form.parse('StartTime%3E=2026-11-23T10:00:00Z&StartTime%3C=2026-11-23T12:00:00.000Z'), 'StartTime'),
    { gte: day + 10 * 3_600_000, lte: day + 12 * 3_600_000 },
  );
  assert.equal(timeRangeFromForm(Form.parse('To=x'), 'StartTime'), undefined);
  assert.throws(() => timeRangeFromForm(Form.parse('StartTime=yesterday'), 'StartTime'), (error: unknown) => error instanceof ApiError && error.code === 20001);
});

test('call filters', () => {
  assert.deepEqual(
    callFilterFromForm(accountSid, Form.parse('To=sip%3Aa%40b&From=%2B1555&Status=in-progress&ParentCallSid=CA1&EndTime<=2026-11-23')),
    { accountSid, to: 'sip:a@b', from: '+1555', status: 'in-progress', parentCallSid: 'CA1', endTime: { lte: day } },
  );
  assert.throws(() => callFilterFromForm(accountSid, Form.parse('Status=done')), (error: unknown) => error instanceof ApiError && error.status === 400);
});

test('paging parameters: PageSize 1–1000 (default 50), Page from 0, PageToken passed through', () => {
  assert.deepEqual(pageRequestFromForm(Form.parse('')), { pageSize: 50 });
  assert.deepEqual(pageRequestFromForm(Form.parse('PageSize=2&Page=3&PageToken=abc')), { pageSize: 2, page: 3, pageToken: 'abc' });
  for (const bad of ['PageSize=0', 'PageSize=1001', 'PageSize=x', 'Page=-1', 'Page=1.5']) {
    assert.throws(() => pageRequestFromForm(Form.parse(bad)), (error: unknown) => error instanceof ApiError && error.code === 20001, bad);
  }
});

test("the envelope keeps the filters in every URI and counts start/end as Twilio does", () => {
  const path = `/2010-04-01/Accounts/${accountSid}/Calls.json`;
  const envelope = pageEnvelope('calls', path, Form.parse('To=%2B1555&PageSize=2&Page=1&PageToken=T1'), {
    items: [1, 2], page: 1, pageSize: 2, nextPageToken: 'N', previousPageToken: 'P',
  }, ['a', 'b']);
  assert.deepEqual(envelope, {
    calls: ['a', 'b'],
    end: 3,
    first_page_uri: `${path}?To=%2B1555&PageSize=2&Page=0`,
    next_page_uri: `${path}?To=%2B1555&PageSize=2&Page=2&PageToken=N`,
    page: 1,
    page_size: 2,
    previous_page_uri: `${path}?To=%2B1555&PageSize=2&Page=0&PageToken=P`,
    start: 2,
    uri: `${path}?To=%2B1555&PageSize=2&Page=1&PageToken=T1`,
  });
  const empty = pageEnvelope('calls', path, Form.parse(''), { items: [], page: 0, pageSize: 50 }, []);
  assert.equal(empty.start, 0);
  assert.equal(empty.end, 0);
  assert.equal(empty.next_page_uri, null);
  assert.equal(empty.previous_page_uri, null);
});
