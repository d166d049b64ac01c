import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, isDialtoneError, type DatagramBinder } from '../../../../src/kernel/index.js';
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

/** A binder whose binds complete only when the test lets them (`gate`), with sockets that record close(). */
function gatedBinder(): { bind: DatagramBinder; binds: number[]; closed: number[]; gate: { open: boolean; waiting: Array<() => void> } } {
  const binds: number[] = [];
  const closed: number[] = [];
  const gate = { open: true, waiting: [] as Array<() => void> };
  const bind: DatagramBinder = (address, port) => {
    binds.push(port);
    const socket = {
      onMessage: () => undefined,
      onError: () => undefined,
      offMessage: () => undefined,
      offError: () => undefined,
      send: () => undefined,
      connect: () => undefined,
      sendConnected: () => undefined,
      disconnect: () => undefined,
      close: () => void closed.push(port),
      local: () => ({ address, port }),
      receiveBufferBytes: () => 0,
    };
    return new Promise((resolve) => (gate.open ? resolve(socket) : gate.waiting.push(() => resolve(socket))));
  };
  return { bind, binds, closed, gate };
}

test('pairs kept ready are handed out without waiting for a bind, replaced in the background, and closed and given back on close()', async () => {
  const binder = gatedBinder();
  const allocator = new PortAllocator({ min: 41000, max: 41039 }, binder.bind);
  allocator.keepReady('127.0.0.1', 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(allocator.inUse, 2, 'two pairs bound ahead hold their ports');
  assert.deepEqual(binder.binds, [41000, 41001, 41002, 41003]);
  // Binds now hang: a ready pair still comes at once.
  binder.gate.open = false;
  const pair = await allocator.bindPair('127.0.0.1');
  assert.equal(pair.rtpPort, 41000);
  assert.deepEqual(binder.binds.slice(4), [41004, 41005], 'its replacement is being bound');
  const other = await allocator.bindPair('127.0.0.1');
  assert.equal(other.rtpPort, 41002);
  // A pair asked for on another address is bound for the asker.
  const elsewhere = allocator.bindPair('127.0.0.2');
  assert.equal(binder.binds.length, 10);
  binder.gate.open = true;
  for (const release of binder.gate.waiting.splice(0)) release();
  assert.equal((await elsewhere).rtpPort, 41008);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(allocator.inUse, 5, 'two handed out, one elsewhere, two ready again');
  allocator.close();
  assert.deepEqual(binder.closed.sort(), [41004, 41005, 41006, 41007]);
  assert.equal(allocator.inUse, 3);
  assert.equal((await allocator.bindPair('127.0.0.1')).rtpPort, 41010, 'after close(), pairs are bound when asked for');
});

test('a small range keeps at most a quarter of its pairs ready', async () => {
  const binder = gatedBinder();
  const allocator = new PortAllocator({ min: 42000, max: 42015 }, binder.bind);
  allocator.keepReady('127.0.0.1', 8);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(allocator.inUse, 2, '8 pairs in the range: 2 ready');
  allocator.close();
  assert.equal(allocator.inUse, 0);
});
