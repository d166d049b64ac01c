/**
 * Two media ports on a DatagramThread, each with a loopback phone as its SDP remote: a bridged call's
 * media without the call (the thread's relay and its integration tests).
 */
import { DatagramThread, systemClock } from '../../src/kernel/index.js';
import { PortAllocator, openMediaPort, type MediaFormat, type MediaPort } from '../../src/media/index.js';
import { HOST, phone, type Phone } from './loopback.js';
import { until } from './eventually.js';

export const PCMU: MediaFormat = { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, ptimeMs: 20 };

export interface ThreadMediaCall {
  thread: DatagramThread;
  allocator: PortAllocator;
  caller: Phone;
  callee: Phone;
  /** The caller's port (RTP from `caller`) and the callee's. */
  a: MediaPort;
  b: MediaPort;
  /** Closes ports and phones, waits for the thread's sockets to close, stops the thread. */
  close(): Promise<void>;
}

export async function threadMediaCall(options: { telephoneEventPayloadType?: number } = {}): Promise<ThreadMediaCall> {
  const thread = new DatagramThread();
  const probe = await phone();
  const first = probe.port - (probe.port % 2) + 2;
  probe.socket.close();
  const allocator = new PortAllocator({ min: first, max: first + 7 }, thread.bind);
  const caller = await phone();
  const callee = await phone();
  const common = { allocator, bindAddress: HOST, clock: systemClock, format: PCMU, ...options };
  const a = await openMediaPort({ ...common, remote: { address: HOST, port: caller.port } });
  const b = await openMediaPort({ ...common, remote: { address: HOST, port: callee.port } });
  return {
    thread,
    allocator,
    caller,
    callee,
    a,
    b,
    close: async () => {
      a.close();
      b.close();
      caller.socket.close();
      callee.socket.close();
      // The RTCP sockets close once their BYE is handed over, which the thread confirms.
      await until(() => thread.openSockets === 0, 'the sockets to close');
      await thread.close();
    },
  };
}
