import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordingRecord } from '../../../src/store/index.js';
import { type ApiFixture, accountSid, auth, basic, openApiFixture, otherAccountSid, otherAuthToken, seedCalls } from './api-fixture.js';

const base = `/2010-04-01/Accounts/${accountSid}`;
const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40, 1)]);

describe('Recordings', () => {
  let fixture: ApiFixture;
  let callSids: string[];
  let recordings: RecordingRecord[];

  async function open(options: { requireAuthForMedia?: boolean } = {}): Promise<void> {
    fixture = await openApiFixture(options);
    callSids = (await seedCalls(fixture, 2)).map((call) => call.sid);
    recordings = [];
    for (const [index, callSid] of [callSids[0], callSids[1], callSids[0]].entries()) {
      const filePath = join(fixture.dir, `rec${index}.wav`);
      await writeFile(filePath, wav);
      const recording = await fixture.store.recordings.create({ accountSid, callSid: callSid ?? null, filePath, source: 'RecordVerb' });
      recordings.push((await fixture.store.recordings.update(recording.sid, { status: 'completed', duration: 3 + index })) ?? recording);
      fixture.clock.advance(1000);
    }
  }
  beforeEach(async () => {
    await open();
  });
  afterEach(async () => {
    await fixture.close();
  });

  test('GET /Recordings.json lists newest first, filters by CallSid and DateCreated', async () => {
    const list = async (query: string) => {
      const response = await fixture.app.inject({ url: `${base}/Recordings.json?${query}`, headers: auth });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    const all = await list('');
    assert.deepEqual(all.recordings.map((r: { sid: string }) => r.sid), recordings.map((r) => r.sid).reverse());
    const first = all.recordings[2];
    assert.equal(first.call_sid, callSids[0]);
    assert.equal(first.duration, '3');
    assert.equal(first.status, 'completed');
    assert.equal(first.source, 'RecordVerb');
    assert.equal(first.media_url, `http://dialtone.test:8080${base}/Recordings/${first.sid}`);
    assert.ok(!JSON.stringify(all).includes(fixture.dir), 'file paths stay inside');
    assert.deepEqual((await list(`CallSid=${callSids[0]}`)).recordings.map((r: { sid: string }) => r.sid), [recordings[2]?.sid, recordings[0]?.sid]);
    assert.equal((await list('DateCreated=2026-11-23')).recordings.length, 3);
    assert.equal((await list('DateCreated=2026-11-24')).recordings.length, 0);
    const paged = await list('PageSize=2');
    assert.equal(paged.recordings.length, 2);
    const next = await fixture.app.inject({ url: paged.next_page_uri, headers: auth });
    assert.deepEqual(next.json().recordings.map((r: { sid: string }) => r.sid), [recordings[0]?.sid]);
  });

  test('GET /Calls/{Sid}/Recordings.json lists one call, and 404s for a call of another account', async () => {
    const response = await fixture.app.inject({ url: `${base}/Calls/${callSids[1]}/Recordings.json`, headers: auth });
    assert.deepEqual(response.json().recordings.map((r: { sid: string }) => r.sid), [recordings[1]?.sid]);
    assert.equal(response.json().first_page_uri, `${base}/Calls/${callSids[1]}/Recordings.json?PageSize=50&Page=0`);
    const theirs = await fixture.store.calls.create({ accountSid: otherAccountSid, direction: 'inbound', from: 'a', to: 'b' });
    assert.equal((await fixture.app.inject({ url: `${base}/Calls/${theirs.sid}/Recordings.json`, headers: auth })).statusCode, 404);
  });

  test('GET /Recordings/{Sid}.json fetches; another account cannot see it', async () => {
    const sid = recordings[0]?.sid ?? '';
    const response = await fixture.app.inject({ url: `${base}/Recordings/${sid}.json`, headers: auth });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().sid, sid);
    assert.equal(response.json().uri, `${base}/Recordings/${sid}.json`);
    const other = `/2010-04-01/Accounts/${otherAccountSid}/Recordings/${sid}.json`;
    const hidden = await fixture.app.inject({ url: other, headers: { authorization: basic(otherAccountSid, otherAuthToken) } });
    assert.equal(hidden.statusCode, 404);
    assert.equal(hidden.json().code, 20404);
  });

  test('the media is the WAV file at .wav and without extension, without credentials by default', async () => {
    const sid = recordings[0]?.sid ?? '';
    for (const url of [`${base}/Recordings/${sid}.wav`, `${base}/Recordings/${sid}`]) {
      const response = await fixture.app.inject({ url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.headers['content-type'], 'audio/x-wav');
      assert.equal(response.headers['content-length'], String(wav.length));
      assert.deepEqual(response.rawPayload, wav);
    }
    assert.equal((await fixture.app.inject({ url: `${base}/Recordings/${sid}.mp3` })).statusCode, 404, 'no MP3');
    assert.equal((await fixture.app.inject({ url: `${base}/Recordings/${sid}.json` })).statusCode, 401, 'the JSON still needs auth');
    // A recording of another account is not served under this account's path.
    const theirs = await fixture.store.recordings.create({ accountSid: otherAccountSid, filePath: recordings[0]?.filePath ?? '', source: 'RecordVerb' });
    assert.equal((await fixture.app.inject({ url: `${base}/Recordings/${theirs.sid}.wav` })).statusCode, 404);
    // A row whose file is gone.
    const ghost = await fixture.store.recordings.create({ accountSid, filePath: join(fixture.dir, 'missing.wav'), source: 'RecordVerb' });
    assert.equal((await fixture.app.inject({ url: `${base}/Recordings/${ghost.sid}.wav` })).statusCode, 404);
  });

  test('requireAuthForMedia puts the media behind Basic auth', async () => {
    await fixture.close();
    await open({ requireAuthForMedia: true });
    const url = `${base}/Recordings/${recordings[0]?.sid}.wav`;
    assert.equal((await fixture.app.inject({ url })).statusCode, 401);
    assert.equal((await fixture.app.inject({ url, headers: auth })).statusCode, 200);
  });

  test('DELETE /Recordings/{Sid}.json answers 204 and removes the row and the file', async () => {
    const recording = recordings[1];
    assert.ok(recording !== undefined && existsSync(recording.filePath));
    const response = await fixture.app.inject({ method: 'DELETE', url: `${base}/Recordings/${recording.sid}.json`, headers: auth });
    assert.equal(response.statusCode, 204);
    assert.equal(response.body, '');
    assert.equal(await fixture.store.recordings.get(recording.sid), undefined);
    assert.equal(existsSync(recording.filePath), false);
    const again = await fixture.app.inject({ method: 'DELETE', url: `${base}/Recordings/${recording.sid}.json`, headers: auth });
    assert.equal(again.statusCode, 404);
    // Deleting needs credentials even though the media does not.
    const unauthenticated = await fixture.app.inject({ method: 'DELETE', url: `${base}/Recordings/${recordings[0]?.sid}` });
    assert.equal(unauthenticated.statusCode, 401);
    assert.ok(existsSync(recordings[0]?.filePath ?? ''));
  });
});
