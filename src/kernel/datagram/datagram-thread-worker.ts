/**
 * What the I/O thread and the main thread say to each other (see DatagramThread), and the thread's
 * program.
 *
 * Datagrams cross in batches: one transferred ArrayBuffer of records per turn of the sending
 * thread's event loop, each direction, and beside it the batch's distinct addresses as strings
 * (a record names its address by index). The thread's batch also lists the binds and completions (a
 * send's, connect's or close's `done`) that succeeded meanwhile; a failed one is a message of its own. Commands (bind,
 * connect, disconnect, close, forward) travel in the main thread's batch, each placed at the record
 * offset where it was issued, so the thread carries out sends and commands in the order the main
 * thread issued them, and a turn that issues several costs one message, not one each.
 *
 * Forwarding (RtpForwarding): a socket with a rule relays the stream's packets itself and reports
 * what it did every FORWARDING_REPORT_INTERVAL_MS; the last report of a rule is posted after the
 * batch of what arrived before it and before anything that arrived after it, so the main thread
 * takes the stream's state back before it sees the stream's next packet.
 *
 * Records, little-endian:
 * - main → thread (send): socket id u32, done-callback id u32 (0: none), port u16, address index u16
 *   (CONNECTED_ADDRESS: send on the connected socket), length u16, then the datagram;
 * - thread → main (received): socket id u32, source port u16, source address index u16, length u16,
 *   then the datagram.
 */

import { nameThreadStatement, ThreadNames } from '../thread-names.js';
import type { RtpForwarding, RtpForwardingProgress } from './datagram-socket.js';

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

/** How often the thread reports what it forwarded (RtpForwardingProgress). */
export const FORWARDING_REPORT_INTERVAL_MS = 250;

export interface WorkerData {
  counters: SharedArrayBuffer;
  /** The main thread's performance.timeOrigin: forwarded arrivals are reported on its monotonic clock. */
  mainTimeOrigin: number;
}

/** One forwarding's report, as it crosses: the socket it is about and RtpForwardingProgress. */
export interface ForwardingReport extends RtpForwardingProgress {
  id: number;
}

export type ThreadCommand =
  | { type: 'bind'; id: number; address: string; port: number; udp6: boolean; receiveBufferBytes: number }
  | { type: 'connect'; id: number; port: number; address: string; callback: number }
  | { type: 'disconnect'; id: number }
  | { type: 'close'; id: number; callback: number }
  | { type: 'forward'; id: number; to: number; forwarding: RtpForwarding }
  | { type: 'unforward'; id: number };

/** A command and where it was issued among the batch's sends: before the record starting at byte `at`. */
export interface PlacedCommand {
  at: number;
  command: ThreadCommand;
}

/** The main thread's one message per turn of its loop: the sends (null: none) and the commands among them. */
export interface ToThread {
  records: ArrayBuffer | null;
  addresses: string[];
  commands: PlacedCommand[];
}

/** A bind that succeeded, as it goes back with a batch. */
export interface BoundSocket {
  id: number;
  address: string;
  port: number;
  receiveBufferBytes: number;
}

/** An error as it crosses: Node's message and errno code. */
export interface ThreadError {
  message: string;
  code: string | undefined;
}

export type FromThread =
  | { type: 'bind-failed'; id: number; error: ThreadError }
  /** A completion that failed (the ones that succeed go with a batch, `completed`). */
  | { type: 'done'; callback: number; error: ThreadError }
  | { type: 'error'; id: number; error: ThreadError }
  | { type: 'received'; records: ArrayBuffer | null; addresses: string[]; completed: number[]; bound: BoundSocket[] }
  | { type: 'forwarded'; reports: ForwardingReport[] };

/**
 * The thread's program, plain JavaScript evaluated by the Worker (as the SQLite and speech workers
 * are: a .ts entry would not run under the test loader, and tsc does not copy a .js one). It keeps
 * to the types above.
 *
 * A socket connect()ing holds the sends that arrive meanwhile, until connect()'s callback, as
 * NodeDatagramSocket does on the main thread: an addressed send to a socket that has become connected
 * is refused (by Node, or by libuv with EISCONN when its address was looked up on a later tick). The
 * held sends then go out on the connected socket.
 */
export const datagramWorkerSource = `
'use strict';
${nameThreadStatement(ThreadNames.io)}
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const dns = require('node:dns');
const { isIP } = require('node:net');
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
const FORWARDING_REPORT_INTERVAL_MS = ${FORWARDING_REPORT_INTERVAL_MS};
/** RFC 3550 A.1. */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const mainClockOffset = performance.timeOrigin - workerData.mainTimeOrigin;

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
let bound = [];
let flushScheduled = false;
/** Record bytes posted so far (wrapping), against COUNTER_BYTES_READ: what the main thread has not read. */
let bytesPosted = 0;

function flush() {
  flushScheduled = false;
  if (used === 0 && completed.length === 0 && bound.length === 0) return;
  let records = null;
  if (used > 0) {
    records = new ArrayBuffer(used);
    new Uint8Array(records).set(batch.subarray(0, used));
  }
  parentPort.postMessage({ type: 'received', records, addresses, completed, bound }, records === null ? [] : [records]);
  bytesPosted = (bytesPosted + used) | 0;
  used = 0;
  addresses = [];
  addressIndex = new Map();
  completed = [];
  bound = [];
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

function received(id, entry, message, rinfo) {
  const rule = entry.forwarding;
  if (rule !== undefined) {
    const verdict = forward(rule, message);
    if (verdict === FORWARDED) return;
    if (verdict === END) endForwarding(id, entry);
  }
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

// ---- forwarding (RtpForwarding): the relay's fast path, without a trip to the main thread
const FORWARDED = 0;
const PASS = 1;
const END = 2;
let reportTimer;

/**
 * FORWARDED, PASS (the main thread decides: not RTP, another payload type such as a telephone event,
 * another source's packet), or END (a packet of the stream only the main thread may decide on: a new
 * SSRC, CSRCs or an extension, a sequence jump that A.1 puts on probation, or nowhere to send it).
 */
function forward(rule, message) {
  const length = message.length;
  if (length < 12) return PASS;
  const first = message[0];
  if ((first & 0xc0) !== 0x80 || (message[1] & 0x7f) !== rule.payloadType) return PASS;
  if (message.readUInt32BE(8) !== rule.ssrc || (first & 0x1f) !== 0) return END;
  let payloadLength = length - 12;
  if ((first & 0x20) !== 0) {
    const padding = message[length - 1];
    if (padding === 0 || padding > payloadLength) return PASS;
    payloadLength -= padding;
  }
  const sequence = message.readUInt16BE(2);
  const udelta = (sequence - rule.highestSequence) & 0xffff;
  if (udelta >= MAX_DROPOUT && udelta <= 0x10000 - MAX_MISORDER) return END;
  const target = sockets.get(rule.to);
  if (target === undefined || !target.connected) return END;
  const timestamp = message.readUInt32BE(4);
  // A.1's in-order branch (a duplicate or reordered packet moves nothing).
  if (udelta < MAX_DROPOUT) {
    rule.highestSequence = sequence;
    rule.highestTimestamp = timestamp;
  }
  const now = performance.now() + mainClockOffset;
  // A.8 interarrival jitter, as RtpReceiverStats computes it.
  const transit = ((Math.floor((now * rule.clockRate) / 1000) >>> 0) - timestamp) | 0;
  let d = (transit - rule.transit) | 0;
  if (d < 0) d = -d;
  rule.jitterUnits += (d - rule.jitterUnits) / 16;
  rule.transit = transit;
  message[1] = (message[1] & 0x80) | rule.outPayloadType;
  message.writeUInt16BE((sequence + rule.sequenceDelta) & 0xffff, 2);
  message.writeUInt32BE((timestamp + rule.timestampDelta) >>> 0, 4);
  message.writeUInt32BE(rule.outSsrc, 8);
  try {
    target.socket.send(message);
  } catch {
    return END;
  }
  rule.packets++;
  rule.octets += payloadLength;
  rule.lastArrivalMs = now;
  return FORWARDED;
}

function report(id, rule, ended) {
  const progress = {
    id,
    packets: rule.packets,
    octets: rule.octets,
    highestSequence: rule.highestSequence,
    highestTimestamp: rule.highestTimestamp,
    lastArrivalMs: rule.lastArrivalMs,
    jitterUnits: rule.jitterUnits,
    transit: rule.transit,
    ended,
  };
  rule.packets = 0;
  rule.octets = 0;
  return progress;
}

function reportProgress() {
  const reports = [];
  for (const [id, entry] of sockets) {
    const rule = entry.forwarding;
    if (rule !== undefined && rule.packets > 0) reports.push(report(id, rule, false));
  }
  if (reports.length > 0) parentPort.postMessage({ type: 'forwarded', reports });
}

/** The rule's last report goes after what arrived before it and before anything after. */
function endForwarding(id, entry) {
  const rule = entry.forwarding;
  if (rule === undefined) return;
  entry.forwarding = undefined;
  flush();
  parentPort.postMessage({ type: 'forwarded', reports: [report(id, rule, true)] });
  forwardingChanged();
}

function startForwarding(command) {
  const entry = sockets.get(command.id);
  if (entry === undefined) return;
  const f = command.forwarding;
  entry.forwarding = {
    to: command.to,
    payloadType: f.payloadType,
    ssrc: f.ssrc,
    clockRate: f.clockRate,
    outPayloadType: f.outPayloadType,
    outSsrc: f.outSsrc,
    sequenceDelta: f.sequenceDelta,
    timestampDelta: f.timestampDelta,
    highestSequence: f.highestSequence,
    highestTimestamp: 0,
    jitterUnits: f.jitterUnits,
    transit: f.transit,
    packets: 0,
    octets: 0,
    lastArrivalMs: 0,
  };
  forwardingChanged();
}

function forwardingChanged() {
  let any = false;
  for (const entry of sockets.values()) if (entry.forwarding !== undefined) any = true;
  if (any && reportTimer === undefined) reportTimer = setInterval(reportProgress, FORWARDING_REPORT_INTERVAL_MS);
  if (!any && reportTimer !== undefined) {
    clearInterval(reportTimer);
    reportTimer = undefined;
  }
}

// ---- commands and sends from the main thread

/**
 * The sockets' address lookup. Node's own (dns.lookup) answers even an IP literal on the next tick, so
 * each addressed send cost a tick and two closures before its system call; the addresses that reach
 * this thread are literals (the SIP layer resolves names), answered here at once. A name still goes
 * to dns.lookup.
 */
function lookupLiteral(address, family, callback) {
  const literalFamily = isIP(address);
  if (literalFamily === 0) dns.lookup(address, family, callback);
  else callback(null, address, literalFamily);
}

function bind(command) {
  const socket = dgram.createSocket({ type: command.udp6 ? 'udp6' : 'udp4', lookup: lookupLiteral });
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
    const entry = { socket, connecting: false, connected: false, connectPort: 0, connectAddress: '', held: [], forwarding: undefined };
    sockets.set(command.id, entry);
    socket.on('message', (message, rinfo) => received(command.id, entry, message, rinfo));
    socket.on('error', (error) => parentPort.postMessage({ type: 'error', id: command.id, error: describe(error) }));
    const local = socket.address();
    bound.push({ id: command.id, address: local.address, port: local.port, receiveBufferBytes: socket.getRecvBufferSize() });
    scheduleFlush();
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
      entry.connected = error === undefined;
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

/** A batch of commands alone reads no records. */
const NO_RECORDS = Buffer.alloc(0);

/**
 * The batch's sends, each command carried out where it was placed among them. A close happens on the
 * next tick (see run), and what follows it in the batch waits for it: a port closed then bound again
 * in one turn of the main thread is free by then.
 */
function runBatch(records, batchAddresses, commands) {
  const bytes = records === null ? NO_RECORDS : Buffer.from(records);
  let offset = 0;
  let next = 0;
  const resume = () => {
    for (;;) {
      while (next < commands.length && (offset >= bytes.length || commands[next].at <= offset)) {
        const command = commands[next++].command;
        run(command);
        if (command.type === 'close') {
          process.nextTick(resume);
          return;
        }
      }
      if (offset >= bytes.length) return;
      offset = sendRecord(bytes, offset, batchAddresses);
    }
  };
  resume();
}

/** Sends the record at offset; returns the next record's offset. */
function sendRecord(bytes, offset, batchAddresses) {
  const id = bytes.readUInt32LE(offset);
  const callback = bytes.readUInt32LE(offset + 4);
  const port = bytes.readUInt16LE(offset + 8);
  const index = bytes.readUInt16LE(offset + 10);
  const length = bytes.readUInt16LE(offset + 12);
  const start = offset + SEND_RECORD_HEADER;
  const end = start + length;
  const entry = sockets.get(id);
  if (entry === undefined) {
    if (callback !== 0) complete(callback, Object.assign(new Error('socket closed'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    return end;
  }
  // A view, not a copy: every batch has an ArrayBuffer of its own, which a send still queued keeps alive.
  const message = bytes.subarray(start, end);
  const connected = index === CONNECTED_ADDRESS;
  const address = connected ? '' : batchAddresses[index];
  if (entry.connecting && callback === 0) {
    if (entry.held.length < MAX_HELD_WHILE_CONNECTING && (connected || (port === entry.connectPort && address === entry.connectAddress))) entry.held.push(message);
    return end;
  }
  send(entry, message, connected ? undefined : port, address, callback);
  return end;
}

function run(command) {
  switch (command.type) {
    case 'bind':
      bind(command);
      break;
    case 'connect':
      connect(command);
      break;
    case 'forward':
      startForwarding(command);
      break;
    case 'unforward': {
      const entry = sockets.get(command.id);
      if (entry !== undefined) endForwarding(command.id, entry);
      break;
    }
    case 'disconnect': {
      const entry = sockets.get(command.id);
      if (entry !== undefined) entry.connected = false;
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
      if (entry !== undefined && entry.forwarding !== undefined) {
        entry.forwarding = undefined;
        forwardingChanged();
      }
      // Node issues an addressed send on the next tick (its address lookup): closing on a later tick
      // lets the sends issued before close() go out (runBatch goes on after it).
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
}

parentPort.on('message', (batch) => runBatch(batch.records, batch.addresses, batch.commands));
`;
