import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError } from '../../../../src/kernel/index.js';
import { PortAllocator } from '../../../../src/media/port/index.js';

test('hands out even RTP ports whose RTCP port (+1) stays inside the range (RFC 3550 §11)', () => {
  const allocator = new PortAllocator({ min: 20001, max: 20008 });
  assert.equal(allocator.capacity, 3, 'pairs 20002/3, 20004/5, 20006/7; 20008 has no 20009');
  assert.deepEqual([allocator.allocate(), allocator.allocate(), allocator.allocate()], [20002, 20004, 20006]);
  assert.equal(allocator.inUse, 3);
});

test('exhaustion throws a DialtoneError with the mediaPortsExhausted code', () => {
  const allocator = new PortAllocator({ min: 30000, max: 30003 });
  allocator.allocate();
  allocator.allocate();
  assert.throws(
    () => allocator.allocate(),
    (error) => isDialtoneError(error) && error.code === ErrorCodes.mediaPortsExhausted,
  );
});

test('a released pair is reused only after the rest of the range (round robin)', () => {
  const allocator = new PortAllocator({ min: 40000, max: 40005 });
  const first = allocator.allocate();
  allocator.release(first);
  assert.equal(allocator.allocate(), 40002);
  assert.equal(allocator.allocate(), 40004);
  assert.equal(allocator.allocate(), 40000, 'wraps around to the released pair');
  assert.throws(() => allocator.allocate());
  allocator.release(40002);
  assert.equal(allocator.allocate(), 40002);
});

test('release is idempotent and ignores ports it never handed out', () => {
  const allocator = new PortAllocator({ min: 40000, max: 40003 });
  const port = allocator.allocate();
  allocator.release(port);
  allocator.release(port);
  allocator.release(40001);
  allocator.release(39998);
  allocator.release(50000);
  assert.equal(allocator.inUse, 0);
});

test('a range without a pair, or not made of ports, is a configuration error', () => {
  for (const range of [
    { min: 20001, max: 20002 },
    { min: 20010, max: 20000 },
    { min: 0, max: 100 },
    { min: 65534, max: 65536 },
    { min: 1.5, max: 10 },
  ]) {
    assert.throws(
      () => new PortAllocator(range),
      (error) => isDialtoneError(error) && error.code === ErrorCodes.configInvalid,
      JSON.stringify(range),
    );
  }
});
