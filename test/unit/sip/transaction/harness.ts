import { silentLogger } from '../../../../src/kernel/index.js';
import type { SipResponse } from '../../../../src/sip/message/types.js';
import { resolveTimerSettings, type ClientTransactionUser, type SyntheticCause, type TimerSettings, type TransactionContext } from '../../../../src/sip/transaction/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { FakeTransport } from './fake-transport.js';

export interface Harness {
  clock: FakeClock;
  transport: FakeTransport;
  context: TransactionContext;
  /** How many times the layer's onTerminated hook ran. */
  layerTerminations: () => number;
}

export function harness(timers: Partial<TimerSettings> = {}): Harness {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  let terminations = 0;
  const context: TransactionContext = {
    transport,
    clock,
    timers: resolveTimerSettings(timers),
    logger: silentLogger,
    onTerminated: () => {
      terminations++;
    },
  };
  return { clock, transport, context, layerTerminations: () => terminations };
}

export interface ReceivedByTu {
  status: number;
  cause?: SyntheticCause['kind'];
  response: SipResponse;
}

/** A client TU that records what it is told. */
export function recordingClientUser(): ClientTransactionUser & { responses: ReceivedByTu[]; errors: number; terminated: number } {
  const user = {
    responses: [] as ReceivedByTu[],
    errors: 0,
    terminated: 0,
    onResponse(response: SipResponse, synthetic?: SyntheticCause) {
      user.responses.push(synthetic === undefined ? { status: response.status, response } : { status: response.status, cause: synthetic.kind, response });
    },
    onTransportError() {
      user.errors++;
    },
    onTerminated() {
      user.terminated++;
    },
  };
  return user;
}

/** A server TU that records what it is told. */
export function recordingServerUser(): { timeouts: number; errors: number; terminated: number; onTimeout(): void; onTransportError(): void; onTerminated(): void } {
  const user = {
    timeouts: 0,
    errors: 0,
    terminated: 0,
    onTimeout() {
      user.timeouts++;
    },
    onTransportError() {
      user.errors++;
    },
    onTerminated() {
      user.terminated++;
    },
  };
  return user;
}
