/**
 * DatagramSocket over Node's dgram. The receive handler is registered on 'message' as is: Node's
 * rinfo already has `address` and `port`, so no per-packet wrapper runs between the socket and the
 * port.
 *
 * Two properties of Node and Linux shape this adapter:
 * - Node resolves the address of every unconnected send on a later tick, so a send issued after
 *   connect() but before it completes reaches libuv with an address on a connected socket, which
 *   libuv refuses (UV_EISCONN) and the datagram is lost. Sends between connect() and its callback
 *   are therefore held (a handful at most: it is one tick) and sent once connected.
 * - Linux gives up the port of a socket bound to port 0 when it is disconnected (udp_disconnect
 *   unhashes a socket without SOCK_BINDPORT_LOCK). A MediaPort that may re-latch (setRemote) must be
 *   bound to an explicit port, as openMediaPort does.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { BindOptions, BoundDatagramSocket, DatagramHandler, RemoteEndpoint } from './datagram-socket.js';

/** Sends held while connect() is in flight; more than this in one tick is not media, it is a flood. */
const MAX_HELD_WHILE_CONNECTING = 64;

export class NodeDatagramSocket implements BoundDatagramSocket {
  private readonly socket: dgram.Socket;
  private connecting = false;
  private connectPort = 0;
  private connectAddress = '';
  private held: Buffer[] = [];
  /** Datagrams dropped while a connect() was in flight: too many, or for another destination. */
  droppedWhileConnecting = 0;

  constructor(socket: dgram.Socket) {
    this.socket = socket;
  }

  onMessage(handler: DatagramHandler): void {
    this.socket.on('message', handler);
  }

  onError(handler: (error: Error) => void): void {
    this.socket.on('error', handler);
  }

  offMessage(handler: DatagramHandler): void {
    this.socket.off('message', handler);
  }

  offError(handler: (error: Error) => void): void {
    this.socket.off('error', handler);
  }

  send(message: Buffer, port: number, address: string, done?: (error: Error | null) => void): void {
    if (this.connecting && done === undefined) {
      if (this.held.length < MAX_HELD_WHILE_CONNECTING && port === this.connectPort && address === this.connectAddress) this.held.push(message);
      else this.droppedWhileConnecting++;
      return;
    }
    if (done === undefined) this.socket.send(message, port, address);
    else this.socket.send(message, port, address, (error) => done(error));
  }

  connect(port: number, address: string, done: (error?: Error) => void): void {
    this.connecting = true;
    this.connectPort = port;
    this.connectAddress = address;
    this.socket.connect(port, address, (error?: Error) => {
      this.connecting = false;
      const held = this.held;
      this.held = [];
      try {
        for (const message of held) {
          if (error === undefined) this.socket.send(message);
          else this.socket.send(message, port, address);
        }
      } catch {
        // Closed meanwhile: what was held is moot.
      }
      done(error);
    });
  }

  sendConnected(message: Buffer): void {
    this.socket.send(message);
  }

  disconnect(): void {
    this.socket.disconnect();
  }

  close(done?: () => void): void {
    this.socket.close(done);
  }

  receiveBufferBytes(): number {
    return this.socket.getRecvBufferSize();
  }

  local(): RemoteEndpoint {
    const { address, port } = this.socket.address();
    return { address, port };
  }
}

/** Binds a UDP socket on `address:port` (0 = any free port); rejects with the bind error (e.g. EADDRINUSE). */
export function bindUdpSocket(address: string, port: number, options: BindOptions = {}): Promise<NodeDatagramSocket> {
  const socket = dgram.createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      setReceiveBuffer(socket, options.receiveBufferBytes);
      resolve(new NodeDatagramSocket(socket));
    });
  });
}

/**
 * Asks for a receive buffer of `bytes`; the size granted is for the caller to read back
 * (receiveBufferBytes). Linux caps it at net.core.rmem_max without an error; a refusal leaves the default.
 */
function setReceiveBuffer(socket: dgram.Socket, bytes: number | undefined): void {
  if (bytes === undefined || bytes <= 0) return;
  try {
    socket.setRecvBufferSize(bytes);
  } catch {
    // The default stays; the caller sees it in receiveBufferBytes().
  }
}
