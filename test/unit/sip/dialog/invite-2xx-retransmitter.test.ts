import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invite2xxRetransmitter } from '../../../../src/sip/dialog/index.js';
import { FakeClock } from '../../../support/fake-clock.js';

function setup(timers = { t1: 500, t2: 4_000 }) {
  const clock = new FakeClock();
  const start = clock.now();
  const sent: number[] = [];
  let timeouts = 0;
  const retransmitter = new Invite2xxRetransmitter({
    clock,
    timers,
    retransmit: () => sent.push(clock.now() - start),
    onAckTimeout: () => {
      timeouts++;
    },
  });
  return { clock, sent, retransmitter, timeouts: () => timeouts };
}

describe('Invite2xxRetransmitter (RFC 3261 §13.3.1.4)', () => {
  it('retransmits at T1, doubling up to T2, and gives up at 64*T1 telling the UAS core', () => {
    const { clock, sent, retransmitter, timeouts } = setup();
    retransmitter.start();
    clock.advance(31_999);
    assert.deepEqual(sent, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(timeouts(), 0);
    clock.advance(1);
    assert.equal(timeouts(), 1);
    assert.equal(retransmitter.active, false);
    assert.equal(clock.pending(), 0);
  });

  it('stops when the ACK arrives', () => {
    const { clock, sent, retransmitter, timeouts } = setup();
    retransmitter.start();
    clock.advance(2_000);
    retransmitter.ackReceived();
    clock.advance(60_000);
    assert.deepEqual(sent, [500, 1500]);
    assert.equal(timeouts(), 0);
    assert.equal(clock.pending(), 0);
  });

  it('start() twice does not double the retransmissions; configured T1/T2 apply', () => {
    const { clock, sent, retransmitter } = setup({ t1: 100, t2: 300 });
    retransmitter.start();
    retransmitter.start();
    clock.advance(1_000);
    assert.deepEqual(sent, [100, 300, 600, 900]);
  });
});
