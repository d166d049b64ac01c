import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJsonLogger } from '../../../src/kernel/index.js';

function capture(): { lines: () => Record<string, unknown>[]; write: (line: string) => void } {
  const written: string[] = [];
  return {
    write: (line) => written.push(line),
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createJsonLogger', () => {
  it('writes one JSON line per message at or above its level, with time, level and fields', () => {
    const out = capture();
    const logger = createJsonLogger('warn', out.write);
    logger.debug('hidden');
    logger.info('hidden');
    logger.warn('ACK could not be sent', { callId: 'a@b' });
    logger.error('failed');
    const lines = out.lines();
    assert.deepEqual(lines.map(({ level, message }) => [level, message]), [['warn', 'ACK could not be sent'], ['error', 'failed']]);
    assert.equal(lines[0]!['callId'], 'a@b');
    assert.ok(!Number.isNaN(Date.parse(String(lines[0]!['time']))));
  });

  it('gives a child the fields of its ancestors, its own overriding theirs, and the message’s overriding both', () => {
    const out = capture();
    const root = createJsonLogger('debug', out.write, { service: 'dialtone' });
    const call = root.child({ callSid: 'CA1', layer: 'call' });
    const attempt = call.child({ layer: 'dial' });
    attempt.debug('ringing', { status: 180 });
    attempt.info('answered', { layer: 'sip' });
    root.info('unchanged');
    assert.deepEqual(out.lines().map(({ time: _time, ...rest }) => rest), [
      { level: 'debug', message: 'ringing', service: 'dialtone', callSid: 'CA1', layer: 'dial', status: 180 },
      { level: 'info', message: 'answered', service: 'dialtone', callSid: 'CA1', layer: 'sip' },
      { level: 'info', message: 'unchanged', service: 'dialtone' },
    ]);
  });

  it('keeps its level in its children', () => {
    const out = capture();
    createJsonLogger('error', out.write).child({ callSid: 'CA1' }).warn('hidden');
    assert.equal(out.lines().length, 0);
  });
});
