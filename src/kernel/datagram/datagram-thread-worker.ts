/**
 * What the I/O thread and the main thread say to each other (see DatagramThread), and the thread's
 * program.
 *
 * Datagrams cross in batches: one transferred ArrayBuffer of records per turn of the sending
 * thread's event loop, each direction, and beside it the batch's distinct addresses as strings
 * (a record names its address by index). The thread's batch also lists the completions (a send's or
 * a close's `done`) that succeeded meanwhile; a failed one is a message of its own. Commands (bind,
 * connect, disconnect, close) are messages of their own; the main thread sends its pending batch
 * before each command, so the thread sees datagrams and commands in the order the main thread issued them.
 *
 * Records, little-endian:
 * - main → thread (send): socket id u32, done-callback id u32 (0: none), port u16, address index u16
 *   (CONNECTED_ADDRESS: send on the connected socket), length u16, then the datagram;
 * - thread → main (received): socket id u32, source port u16, source address index u16, length u16,
 *   then the datagram.
 */

/** Bytes before a sent datagram in its record. */
export const SEND_RECORD_HEADER = 14;
/** Bytes before a received datagram in its record. */
export const RECEIVE_RECORD_HEADER = 10;
/** The address index of a send on the connected socket. */
export const CONNECTED_ADDRESS = 0xffff;
/**
 * Capacity of the buffer a batch is gathered in, either side. A UDP datagram is at most 65,507 bytes,
 * so one always fits once the buffer has been sent; a full buffer is sent at once.
 */
export const BATCH_CAPACITY = 256 * 1024;
/** Distinct addresses one batch may name before it is sent early (the index must stay below CONNECTED_ADDRESS). */
export const BATCH_ADDRESSES = 4096;
/**
 * Received bytes (records) posted to the main thread and not yet read there, past which the thread
 * drops what arrives, as a full socket buffer would: when the main thread falls behind, its backlog
 * stays bounded (~0.9 s of 1000 relayed calls' packets) instead of growing in its message queue.
 */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

/**
 * Int32 slots of the SharedArrayBuffer both threads see (workerData.counters); byte counts wrap around
 * and are compared as differences.
 */
export const COUNTER_BYTES_READ = 0;
export const COUNTER_DROPPED = 1;
export const COUNTER_SLOTS = 2;

export interface WorkerData {
  counters: SharedArrayBuffer;
}

export type ToThread =
  | { type: 'bind'; id: number; address: string; port: number; udp6: boolean; receiveBufferBytes: number }
  | { type: 'connect'; id: number; port: number; address: string; callback: number }
  | { type: 'disconnect'; id: number }
  | { type: 'close'; id: number; callback: number }
  | { type: 'send'; records: ArrayBuffer; addresses: string[] };

/** An error as it crosses: Node's message and errno code. */
export interface ThreadError {
  message: string;
  code: string | undefined;
}

export type FromThread =
  | { type: 'bound'; id: number; address: string; port: number; receiveBufferBytes: number }
  | { type: 'bind-failed'; id: number; error: ThreadError }
  /** A completion that failed (the ones that succeed go with a batch, `completed`). */
  | { type: 'done'; callback: number; error: ThreadError }
  | { type: 'error'; id: number; error: ThreadError }
  | { type: 'received'; records: ArrayBuffer | null; addresses: string[]; completed: number[] };

/**
 * The thread's program, plain JavaScript evaluated by the Worker (as the SQLite and speech workers
 * are: a .ts entry would not run under the test loader, and tsc does not copy a .js one). It keeps
 * to the types above.
 *
 * A socket connect()ing holds the sends that arrive meanwhile, as NodeDatagramSocket does on the main
 * thread and for the same reason: Node resolves an unconnected send's address on a later tick, by
 * which time the socket may be connected, and libuv then refuses it (EISCONN).
 */
export const datagramWorkerSource = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const counters = new Int32Array(workerData.counters);
const COUNTER_BYTES_READ = ${COUNTER_BYTES_READ};
const COUNTER_DROPPED = ${COUNTER_DROPPED};
const MAX_UNREAD_BYTES = ${MAX_UNREAD_BYTES};
const SEND_RECORD_HEADER = ${SEND_RECORD_HEADER};
const RECEIVE_RECORD_HEADER = ${RECEIVE_RECORD_HEADER};
const CONNECTED_ADDRESS = ${CONNECTED_ADDRESS};
const BATCH_CAPACITY = ${BATCH_CAPACITY};
const BATCH_ADDRESSES = ${BATCH_ADDRESSES};
/** Sends held while connect() is in flight; more than this in one turn is not media. */
const MAX_HELD_WHILE_CONNECTING = 64;

const sockets = new Map();

function describe(error) {
  return { message: String((error && error.message) || error), code: error && typeof error.code === 'string' ? error.code : undefined };
}

// ---- received datagrams, gathered into one batch per turn of this thread's loop
let batch = Buffer.allocUnsafeSlow(BATCH_CAPACITY);
let used = 0;
let addresses = [];
let addressIndex = new Map();
let completed = [];
let flushScheduled = false;
/** Record bytes posted so far (wrapping), against COUNTER_BYTES_READ: what the main thread has not read. */
let bytesPosted = 0;

function flush() {
  flushScheduled = false;
  if (used === 0 && completed.length === 0) return;
  let records = null;
  if (used > 0) {
    records = new ArrayBuffer(used);
    new Uint8Array(records).set(batch.subarray(0, used));
  }
  parentPort.postMessage({ type: 'received', records, addresses, completed }, records === null ? [] : [records]);
  bytesPosted = (bytesPosted + used) | 0;
  used = 0;
  addresses = [];
  addressIndex = new Map();
  completed = [];
}

function scheduleFlush() {
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

/** A send's, connect's or close's done: successes go with the next batch, a failure at once. */
function complete(callback, error) {
  if (error) {
    parentPort.postMessage({ type: 'done', callback, error: describe(error) });
  } else {
    completed.push(callback);
    scheduleFlush();
  }
}

function received(id, message, rinfo) {
  const length = message.length;
  if (((bytesPosted + used - Atomics.load(counters, COUNTER_BYTES_READ)) | 0) > MAX_UNREAD_BYTES) {
    Atomics.add(counters, COUNTER_DROPPED, 1);
    return;
  }
  if (used + RECEIVE_RECORD_HEADER + length > BATCH_CAPACITY || addresses.length === BATCH_ADDRESSES) flush();
  let index = addressIndex.get(rinfo.address);
  if (index === undefined) {
    index = addresses.length;
    addresses.push(rinfo.address);
    addressIndex.set(rinfo.address, index);
  }
  batch.writeUInt32LE(id, used);
  batch.writeUInt16LE(rinfo.port, used + 4);
  batch.writeUInt16LE(index, used + 6);
  batch.writeUInt16LE(length, used + 8);
  message.copy(batch, used + RECEIVE_RECORD_HEADER);
  used += RECEIVE_RECORD_HEADER + length;
  scheduleFlush();
}

// ---- commands and sends from the main thread
function bind(command) {
  const socket = dgram.createSocket({ type: command.udp6 ? 'udp6' : 'udp4' });
  const onBindError = (error) => {
    socket.close();
    parentPort.postMessage({ type: 'bind-failed', id: command.id, error: describe(error) });
  };
  socket.once('error', onBindError);
  socket.bind({ port: command.port, address: command.address, exclusive: true }, () => {
    socket.off('error', onBindError);
    if (command.receiveBufferBytes > 0) {
      try {
        socket.setRecvBufferSize(command.receiveBufferBytes);
      } catch {
        // The default stays; the main thread sees it in receiveBufferBytes.
      }
    }
    const entry = { socket, connecting: false, connectPort: 0, connectAddress: '', held: [] };
    sockets.set(command.id, entry);
    socket.on('message', (message, rinfo) => received(command.id, message, rinfo));
    socket.on('error', (error) => parentPort.postMessage({ type: 'error', id: command.id, error: describe(error) }));
    const local = socket.address();
    parentPort.postMessage({ type: 'bound', id: command.id, address: local.address, port: local.port, receiveBufferBytes: socket.getRecvBufferSize() });
  });
}

function connect(command) {
  const entry = sockets.get(command.id);
  if (entry === undefined) return;
  entry.connecting = true;
  entry.connectPort = command.port;
  entry.connectAddress = command.address;
  try {
    entry.socket.connect(command.port, command.address, (error) => {
      entry.connecting = false;
      const held = entry.held;
      entry.held = [];
      for (const message of held) send(entry, message, error === undefined ? undefined : command.port, command.address, 0);
      complete(command.callback, error);
    });
  } catch (error) {
    entry.connecting = false;
    complete(command.callback, error);
  }
}

function send(entry, message, port, address, callback) {
  try {
    if (callback !== 0) {
      const reply = (error) => complete(callback, error);
      if (port === undefined) entry.socket.send(message, reply);
      else entry.socket.send(message, port, address, reply);
    } else if (port === undefined) {
      entry.socket.send(message);
    } else {
      entry.socket.send(message, port, address);
    }
  } catch (error) {
    // Node throws synchronously only for a socket no longer running: the main thread closed it.
    if (callback !== 0) complete(callback, error);
  }
}

function sendAll(records, batchAddresses) {
  const bytes = Buffer.from(records);
  let offset = 0;
  while (offset < bytes.length) {
    const id = bytes.readUInt32LE(offset);
    const callback = bytes.readUInt32LE(offset + 4);
    const port = bytes.readUInt16LE(offset + 8);
    const index = bytes.readUInt16LE(offset + 10);
    const length = bytes.readUInt16LE(offset + 12);
    const start = offset + SEND_RECORD_HEADER;
    offset = start + length;
    const entry = sockets.get(id);
    if (entry === undefined) {
      if (callback !== 0) complete(callback, Object.assign(new Error('socket closed'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
      continue;
    }
    // A view, not a copy: every batch has an ArrayBuffer of its own, which a send still queued keeps alive.
    const message = bytes.subarray(start, offset);
    const connected = index === CONNECTED_ADDRESS;
    const address = connected ? '' : batchAddresses[index];
    if (entry.connecting && callback === 0) {
      if (entry.held.length < MAX_HELD_WHILE_CONNECTING && (connected || (port === entry.connectPort && address === entry.connectAddress))) entry.held.push(message);
      continue;
    }
    send(entry, message, connected ? undefined : port, address, callback);
  }
}

parentPort.on('message', (command) => {
  switch (command.type) {
    case 'send':
      sendAll(command.records, command.addresses);
      break;
    case 'bind':
      bind(command);
      break;
    case 'connect':
      connect(command);
      break;
    case 'disconnect': {
      const entry = sockets.get(command.id);
      try {
        entry?.socket.disconnect();
      } catch {
        // Not connected (a connect() that failed): nothing to undo.
      }
      break;
    }
    case 'close': {
      const entry = sockets.get(command.id);
      sockets.delete(command.id);
      // Node issues an addressed send on the next tick (its address lookup): closing on a later tick
      // lets the sends issued before close() go out, and still before the next command is read.
      process.nextTick(() => {
        if (entry === undefined) {
          if (command.callback !== 0) complete(command.callback);
          return;
        }
        entry.socket.close(command.callback === 0 ? undefined : () => complete(command.callback));
      });
      break;
    }
  }
});
`;
