import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import {
  SessionTimer,
  type SessionTimerOutcome,
  expiryDelayMs,
  formatSessionExpires,
  handleUac422,
  hasOptionTag,
  negotiateUac,
  negotiateUas,
  parseMinSe,
  parseSessionExpires,
  sessionTimerRequestHeaders,
  sessionTimerRequestState,
  subsequentRequestState,
} from '../../../../src/sip/dialog/session-timer.js';
import { FakeClock } from '../../../support/fake-clock.js';

const malformed = (error: unknown): boolean => isDialtoneError(error) && error.code === ErrorCodes.sipMessageMalformed;

describe('Session-Expires and Min-SE values (RFC 4028 §4, §5)', () => {
  it('parses delta-seconds, the refresher and other parameters', () => {
    const parsed = parseSessionExpires(' 1800 ; Refresher=UAS ;foo=bar; flag');
    assert.equal(parsed.deltaSeconds, 1800);
    assert.equal(parsed.refresher, 'uas');
    assert.deepEqual(
      [...parsed.params],
      [
        ['refresher', 'UAS'],
        ['foo', 'bar'],
        ['flag', null],
      ],
    );
    assert.deepEqual(parseSessionExpires('90'), { deltaSeconds: 90, params: new Map() });
  });

  it('rejects malformed values', () => {
    for (const value of ['', 'abc', '-5', '1.5', '1800;refresher=both', '1800;refresher', '1800;=x', '99999999999']) {
      assert.throws(() => parseSessionExpires(value), malformed, value);
    }
    assert.throws(() => parseMinSe('soon'), malformed);
  });

  it('parses Min-SE with generic parameters and formats both headers', () => {
    assert.equal(parseMinSe('120;x=y'), 120);
    assert.equal(formatSessionExpires(1800), '1800');
    assert.equal(formatSessionExpires(600, 'uac'), '600;refresher=uac');
  });

  it('finds the timer option tag in Supported values, in comma lists and any case', () => {
    assert.equal(hasOptionTag(['100rel, Timer']), true);
    assert.equal(hasOptionTag(['100rel', 'replaces']), false);
    assert.equal(hasOptionTag([]), false);
  });
});

describe('UAC (RFC 4028 §7)', () => {
  it('asks with Supported: timer, Session-Expires and Min-SE, omitting the refresher by default', () => {
    assert.deepEqual(sessionTimerRequestHeaders(sessionTimerRequestState()), [
      { name: 'Supported', value: 'timer' },
      { name: 'Session-Expires', value: '1800' },
      { name: 'Min-SE', value: '90' },
    ]);
    assert.deepEqual(sessionTimerRequestHeaders(sessionTimerRequestState({ sessionExpires: 600, minSe: 120, refresher: 'uac' })), [
      { name: 'Supported', value: 'timer' },
      { name: 'Session-Expires', value: '600;refresher=uac' },
      { name: 'Min-SE', value: '120' },
    ]);
  });

  it('never asks below 90 seconds or below its own Min-SE', () => {
    assert.deepEqual(sessionTimerRequestState({ sessionExpires: 30, minSe: 10 }), { sessionExpires: 90, minSe: 90 });
    assert.deepEqual(sessionTimerRequestState({ sessionExpires: 100, minSe: 300 }), { sessionExpires: 300, minSe: 300 });
  });

  it('after a 422, retries with Session-Expires and Min-SE raised to the 422 Min-SE', () => {
    const state = sessionTimerRequestState({ sessionExpires: 1000, minSe: 100, refresher: 'uac' });
    const result = handleUac422(state, '2000');
    assert.ok(result.ok);
    assert.deepEqual(result.state, { sessionExpires: 2000, minSe: 2000, refresher: 'uac' });
    assert.deepEqual(sessionTimerRequestHeaders(result.state).slice(1), [
      { name: 'Session-Expires', value: '2000;refresher=uac' },
      { name: 'Min-SE', value: '2000' },
    ]);
  });

  it('reports a 422 that retrying cannot satisfy instead of looping', () => {
    const state = sessionTimerRequestState({ sessionExpires: 1800 });
    for (const minSe of [undefined, 'soon', '1800', '90']) {
      const result = handleUac422(state, minSe);
      assert.equal(result.ok, false, String(minSe));
      assert.equal(!result.ok && result.error.code, ErrorCodes.sipSessionIntervalTooSmall);
    }
  });

  it('reads the 2xx: no Session-Expires means no timer', () => {
    assert.deepEqual(negotiateUac({}), { active: false });
  });

  it('reads the 2xx: the refresher parameter says who refreshes', () => {
    assert.deepEqual(negotiateUac({ sessionExpires: '1800;refresher=uac' }), {
      active: true,
      interval: 1800,
      refresher: 'uac',
      localRefresher: true,
    });
    assert.deepEqual(negotiateUac({ sessionExpires: '900;refresher=uas' }), {
      active: true,
      interval: 900,
      refresher: 'uas',
      localRefresher: false,
    });
  });

  it('reads the 2xx: without a refresher parameter the UAC refreshes', () => {
    assert.deepEqual(negotiateUac({ sessionExpires: '1200' }), { active: true, interval: 1200, refresher: 'uac', localRefresher: true });
  });
});

describe('UAS (RFC 4028 §9)', () => {
  const supported = ['timer'];

  it('rejects an interval below its Min-SE with 422 and its Min-SE', () => {
    assert.deepEqual(negotiateUas({ sessionExpires: '60', supported }, { minSe: 120 }), {
      kind: 'reject',
      status: 422,
      headers: [{ name: 'Min-SE', value: '120' }],
    });
  });

  it('accepts an interval at or above Min-SE, keeping the requested refresher and adding Require: timer', () => {
    const decision = negotiateUas({ sessionExpires: '1800;refresher=uac', supported }, { minSe: 120 });
    assert.deepEqual(decision, {
      kind: 'accept',
      headers: [
        { name: 'Session-Expires', value: '1800;refresher=uac' },
        { name: 'Require', value: 'timer' },
      ],
      outcome: { active: true, interval: 1800, refresher: 'uac', localRefresher: false },
    });
    const uas = negotiateUas({ sessionExpires: '600;refresher=uas', supported }, { minSe: 120 });
    assert.equal(uas.kind === 'accept' && uas.outcome.active && uas.outcome.localRefresher, true);
  });

  it('chooses the refresher when the UAC leaves it open', () => {
    const theirs = negotiateUas({ sessionExpires: '1800', supported });
    assert.equal(theirs.kind === 'accept' && theirs.headers[0]?.value, '1800;refresher=uac');
    const ours = negotiateUas({ sessionExpires: '1800', supported }, { preferredRefresher: 'uas' });
    assert.equal(ours.kind === 'accept' && ours.headers[0]?.value, '1800;refresher=uas');
  });

  it('shortens a long interval to its preference, but not below the request Min-SE', () => {
    const shorter = negotiateUas({ sessionExpires: '7200', supported }, { sessionExpires: 1800 });
    assert.equal(shorter.kind === 'accept' && shorter.headers[0]?.value, '1800;refresher=uac');
    const bounded = negotiateUas({ sessionExpires: '7200', minSe: '3600', supported }, { sessionExpires: 1800 });
    assert.equal(bounded.kind === 'accept' && bounded.headers[0]?.value, '3600;refresher=uac');
  });

  it('when the UAC supports timers but asks for none, it may set one itself, respecting the request Min-SE', () => {
    const decision = negotiateUas({ minSe: '2400', supported: ['100rel', 'timer'] }, { sessionExpires: 1800 });
    assert.equal(decision.kind, 'accept');
    assert.deepEqual(decision.kind === 'accept' && decision.headers, [
      { name: 'Session-Expires', value: '2400;refresher=uac' },
      { name: 'Require', value: 'timer' },
    ]);
  });

  it('refreshes itself, without Require, when a proxy inserted Session-Expires for a UAC without the extension', () => {
    const decision = negotiateUas({ sessionExpires: '1800;refresher=uac', supported: [] });
    assert.deepEqual(decision, {
      kind: 'accept',
      headers: [{ name: 'Session-Expires', value: '1800;refresher=uas' }],
      outcome: { active: true, interval: 1800, refresher: 'uas', localRefresher: true },
    });
  });

  it('raises a too-small interval instead of sending 422 to a UAC that cannot understand it', () => {
    const decision = negotiateUas({ sessionExpires: '60', supported: [] }, { minSe: 120 });
    assert.equal(decision.kind === 'accept' && decision.headers[0]?.value, '120;refresher=uas');
  });

  it('uses no timer when neither side asked for one', () => {
    assert.deepEqual(negotiateUas({ supported: ['100rel'] }), { kind: 'accept', headers: [], outcome: { active: false } });
  });

  it('throws sipMessageMalformed for a broken Session-Expires', () => {
    assert.throws(() => negotiateUas({ sessionExpires: 'never', supported }), malformed);
  });

  it('round trip: a UAC retrying after the UAS 422 is accepted', () => {
    let state = sessionTimerRequestState({ sessionExpires: 100 });
    const policy = { minSe: 600 };
    const request = () => {
      const headers = sessionTimerRequestHeaders(state);
      const value = (name: string) => headers.find((header) => header.name === name)?.value;
      return { sessionExpires: value('Session-Expires') as string, minSe: value('Min-SE') as string, supported: [value('Supported') as string] };
    };
    const first = negotiateUas(request(), policy);
    assert.equal(first.kind, 'reject');
    const retry = handleUac422(state, first.headers[0]?.value);
    assert.ok(retry.ok);
    state = retry.state;
    const second = negotiateUas(request(), policy);
    assert.equal(second.kind, 'accept');
    const outcome = negotiateUac({ sessionExpires: second.kind === 'accept' ? second.headers[0]?.value : undefined });
    assert.deepEqual(outcome, { active: true, interval: 600, refresher: 'uac', localRefresher: true });
  });
});

describe('SessionTimer driver (RFC 4028 §10)', () => {
  function driver() {
    const clock = new FakeClock();
    const events: string[] = [];
    const timer = new SessionTimer({
      clock,
      onRefresh: () => events.push(`refresh@${(clock.now() - start) / 1000}`),
      onExpired: () => events.push(`expired@${(clock.now() - start) / 1000}`),
    });
    const start = clock.now();
    return { clock, events, timer };
  }
  const refresher = (interval: number): SessionTimerOutcome => ({ active: true, interval, refresher: 'uac', localRefresher: true });
  const refreshee = (interval: number): SessionTimerOutcome => ({ active: true, interval, refresher: 'uac', localRefresher: false });

  it('computes the BYE margin as min(32 s, interval/3)', () => {
    assert.equal(expiryDelayMs(1800), 1_768_000);
    assert.equal(expiryDelayMs(90), 60_000);
    assert.equal(expiryDelayMs(96), 64_000);
  });

  it('refresher side: refresh at half the interval; each successful refresh re-arms', () => {
    const { clock, events, timer } = driver();
    timer.start(refresher(1800));
    clock.advance(899_999);
    assert.deepEqual(events, []);
    clock.advance(1);
    assert.deepEqual(events, ['refresh@900']);
    timer.start(refresher(1800)); // the refresh's 2xx arrived
    clock.advance(900_000);
    assert.deepEqual(events, ['refresh@900', 'refresh@1800']);
  });

  it('refresher side: a refresh that never succeeds ends the session at expiry, after the other side had its turn', () => {
    const { clock, events, timer } = driver();
    timer.start(refresher(1800));
    clock.advance(1_800_000);
    assert.deepEqual(events, ['refresh@900', 'expired@1800']);
    assert.equal(timer.outcome.active, false);
    assert.equal(clock.pending(), 0);
  });

  it('other side: session expired at interval minus min(32, interval/3) without a refresh', () => {
    const { clock, events, timer } = driver();
    timer.start(refreshee(90));
    clock.advance(59_999);
    assert.deepEqual(events, []);
    clock.advance(1);
    assert.deepEqual(events, ['expired@60']);
  });

  it('other side: a received refresh pushes the expiry out', () => {
    const { clock, events, timer } = driver();
    timer.start(refreshee(1800));
    clock.advance(900_000);
    timer.start(refreshee(1800));
    clock.advance(1_767_999);
    assert.deepEqual(events, []);
    clock.advance(1);
    assert.deepEqual(events, ['expired@2668']);
  });

  it('an inactive outcome (a 2xx without Session-Expires) turns the timer off', () => {
    const { clock, events, timer } = driver();
    timer.start(refresher(1800));
    timer.start({ active: false });
    clock.advance(10_000_000);
    assert.deepEqual(events, []);
    assert.equal(clock.pending(), 0);
  });

  it('stop is idempotent and cancels everything', () => {
    const { clock, events, timer } = driver();
    timer.start(refresher(1800));
    timer.stop();
    timer.stop();
    clock.advance(10_000_000);
    assert.deepEqual(events, []);
    assert.deepEqual(timer.outcome, { active: false });
  });

  it("isolates a callback's exception and keeps running", () => {
    const clock = new FakeClock();
    const logged: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (message: string) => logged.push(message),
      child: () => logger,
    };
    let expired = false;
    const timer = new SessionTimer({
      clock,
      logger,
      onRefresh: () => {
        throw new Error('boom');
      },
      onExpired: () => {
        expired = true;
      },
    });
    timer.start(refresher(90));
    assert.doesNotThrow(() => clock.advance(90_000));
    assert.deepEqual(logged, ['session timer callback threw']);
    assert.equal(expired, true);
  });
});

describe('subsequent refreshes (RFC 4028 §7.4)', () => {
  it('the refresher sends refresher=uac with the current interval; the other end keeps refresher=uas', () => {
    const ours = subsequentRequestState({ active: true, interval: 600, refresher: 'uas', localRefresher: true }, 120);
    assert.deepEqual(ours, { sessionExpires: 600, minSe: 120, refresher: 'uac' });
    const theirs = subsequentRequestState({ active: true, interval: 600, refresher: 'uac', localRefresher: false });
    assert.deepEqual(sessionTimerRequestHeaders(theirs).slice(1), [
      { name: 'Session-Expires', value: '600;refresher=uas' },
      { name: 'Min-SE', value: '90' },
    ]);
  });
});
