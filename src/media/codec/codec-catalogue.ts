/**
 * The audio payload formats Dialtone knows, as data. `sdp` reads this table to write and match
 * rtpmap lines; the media engine reads it to size frames and to decide whether a leg can be transcoded.
 */

/** Codec names as the markup `codecs` attribute spells them (upper case). */
export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'G729' | 'OPUS';

export interface CodecInfo {
  readonly name: CodecName;
  /** The encoding name written in `a=rtpmap` (RFC 3551 §6 / RFC 7587 §7). Matched case-insensitively. */
  readonly encodingName: string;
  /** RFC 3551 Table 4 static payload type, or null for a dynamic one (96–127, RFC 3551 §3). */
  readonly staticPayloadType: number | null;
  /** Payload type we use in our own offers when the type is dynamic. */
  readonly defaultPayloadType: number;
  /** RTP timestamp rate. G.722 is 8000 although it samples at 16 kHz: RFC 3551 §4.5.2 kept the
   *  erroneous value from RFC 1890 for backward compatibility. Opus is always 48000 (RFC 7587 §4.1). */
  readonly clockRate: number;
  /** PCM sampling rate of the decoded signal in this engine (for Opus, the rate we decode to). */
  readonly sampleRate: number;
  /** Channels as written in rtpmap; Opus always declares 2 (RFC 7587 §7). */
  readonly channels: number;
  /** Default packetisation in milliseconds (RFC 3551 §4.2: 20 ms for sample-based and G.729). */
  readonly ptimeMs: number;
  /** Whether the in-process engine can decode and encode it; others only pass through unchanged. */
  readonly transcodable: boolean;
  /**
   * The a=fmtp parameters we declare for it in offers and answers (what we want to receive), or null
   * for none. Opus (RFC 7587 §6.1, §7.1): 10 ms packets at the shortest, in-band FEC welcome, and no
   * `stereo=1` (we decode mono).
   */
  readonly fmtp: string | null;
}

const entries: readonly CodecInfo[] = [
  // ITU-T G.711 µ-law, RFC 3551 §4.5.14
  { name: 'PCMU', encodingName: 'PCMU', staticPayloadType: 0, defaultPayloadType: 0, clockRate: 8000, sampleRate: 8000, channels: 1, ptimeMs: 20, transcodable: true, fmtp: null },
  // ITU-T G.711 A-law, RFC 3551 §4.5.14
  { name: 'PCMA', encodingName: 'PCMA', staticPayloadType: 8, defaultPayloadType: 8, clockRate: 8000, sampleRate: 8000, channels: 1, ptimeMs: 20, transcodable: true, fmtp: null },
  // ITU-T G.722, RFC 3551 §4.5.2
  { name: 'G722', encodingName: 'G722', staticPayloadType: 9, defaultPayloadType: 9, clockRate: 8000, sampleRate: 16000, channels: 1, ptimeMs: 20, transcodable: true, fmtp: null },
  // ITU-T G.729, RFC 3551 §4.5.6: pass-through only (no codec in process)
  { name: 'G729', encodingName: 'G729', staticPayloadType: 18, defaultPayloadType: 18, clockRate: 8000, sampleRate: 8000, channels: 1, ptimeMs: 20, transcodable: false, fmtp: null },
  // Opus, RFC 7587, through libopus in WebAssembly (opus-codec.ts). The RTP clock is 48000 whatever the
  // bandwidth; our decoder renders mono at 16 kHz (8 kHz against G.711), rates libopus produces natively.
  { name: 'OPUS', encodingName: 'opus', staticPayloadType: null, defaultPayloadType: 111, clockRate: 48000, sampleRate: 16000, channels: 2, ptimeMs: 20, transcodable: true, fmtp: 'minptime=10;useinbandfec=1' },
];

/** RFC 4733 §7.1.1 telephone-event: dynamic payload type, clock rate that of the audio it accompanies. */
export const TELEPHONE_EVENT = {
  encodingName: 'telephone-event',
  defaultPayloadType: 101,
  /** RFC 4733 §7.1.1: events 0-15 are the DTMF digits; we advertise exactly those. */
  defaultEvents: '0-15',
} as const;

const byName = new Map<string, CodecInfo>(entries.map((entry) => [entry.name, entry]));
const byEncoding = new Map<string, CodecInfo>(entries.map((entry) => [entry.encodingName.toLowerCase(), entry]));
const byStatic = new Map<number, CodecInfo>(
  entries.filter((entry) => entry.staticPayloadType !== null).map((entry) => [entry.staticPayloadType as number, entry]),
);

export const codecCatalogue: readonly CodecInfo[] = entries;

/** The entry for a markup name (`pcmu`, `PCMU`, `opus`…), or undefined when unknown. */
export function findCodec(name: string): CodecInfo | undefined {
  return byName.get(name.trim().toUpperCase());
}

/** The entry for an rtpmap encoding name and clock rate (both must match), or undefined. */
export function findCodecByEncoding(encodingName: string, clockRate: number): CodecInfo | undefined {
  const entry = byEncoding.get(encodingName.toLowerCase());
  return entry !== undefined && entry.clockRate === clockRate ? entry : undefined;
}

/** The entry for a static payload type used without rtpmap (RFC 3551 Table 4), or undefined. */
export function findCodecByStaticPayloadType(payloadType: number): CodecInfo | undefined {
  return byStatic.get(payloadType);
}

/** Parses a markup `codecs` list ("PCMU,pcma, G722") in order; unknown names are returned apart. */
export function parseCodecList(list: string): { codecs: CodecName[]; unknown: string[] } {
  const codecs: CodecName[] = [];
  const unknown: string[] = [];
  for (const raw of list.split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    const entry = findCodec(token);
    if (entry === undefined) unknown.push(token);
    else if (!codecs.includes(entry.name)) codecs.push(entry.name);
  }
  return { codecs, unknown };
}
