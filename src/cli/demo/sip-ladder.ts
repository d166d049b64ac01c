/**
 * The demo's SIP ladder: every message the built-in user agents send or receive, observed on their
 * transport (so both legs of the call are seen from the phones' side of the wire), with the time
 * since the ladder started.
 */
import { silentLogger, systemClock } from '../../kernel/index.js';
import { UserAgent, type SipMessage } from '../../sip/index.js';
import { createTransport, type SipTransport } from '../../sip/transport/index.js';

export interface LadderEntry {
  /** Wall-clock milliseconds. */
  at: number;
  /** The built-in phone that sent or received it. */
  party: string;
  direction: 'sent' | 'received';
  /** `INVITE sip:…` or `200 OK`. */
  line: string;
  callId: string;
  cseq: string;
}

export class SipLadder {
  readonly entries: LadderEntry[] = [];
  note(party: string, direction: 'sent' | 'received', message: SipMessage): void {
    const line = message.kind === 'request' ? `${message.method} ${uriText(message)}` : `${message.status} ${message.reason}`;
    this.entries.push({
      at: Date.now(),
      party,
      direction,
      line,
      callId: message.callId,
      cseq: `${message.cseq.seq} ${message.cseq.method}`,
    });
  }

  /** A UserAgent on 127.0.0.1 (UDP, ephemeral port) whose every message goes in this ladder as `party`. */
  async userAgent(party: string): Promise<UserAgent> {
    return UserAgent.over(
      async (listener) => {
        const transport = await createTransport(
          { listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }], clock: systemClock, logger: silentLogger },
          {
            onMessage: (received) => {
              this.note(party, 'received', received.message);
              listener.onMessage(received);
            },
          },
        );
        const observed: SipTransport = {
          sendRequest: (request, destination, options) => {
            this.note(party, 'sent', request);
            return transport.sendRequest(request, destination, options);
          },
          sendResponse: (response, request) => {
            this.note(party, 'sent', response);
            return transport.sendResponse(response, request);
          },
          isReliable: (protocol) => transport.isReliable(protocol),
          listening: () => transport.listening(),
          stats: () => transport.stats(),
          close: () => transport.close(),
        };
        return observed;
      },
      { clock: systemClock, logger: silentLogger, product: `Dialtone-demo-${party}/0.1` },
    );
  }
}

function uriText(message: Extract<SipMessage, { kind: 'request' }>): string {
  const { uri } = message;
  const user = uri.user === undefined ? '' : `${uri.user}@`;
  return `${uri.scheme}:${user}${uri.host}${uri.port === undefined ? '' : `:${uri.port}`}`;
}
