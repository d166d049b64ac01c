/**
 * G.711 media for the e2e benchmark's SIPp peers: the audio file the callers stream and the
 * RTP-carrying copies of /work/shared/peers/sipp/uac.xml and uas.xml, written into the run's temp dir
 * (the shared scenarios stay as they are; the Kamailio baseline and the concurrency flood use them).
 *
 * - Audio: 1 s of a 1 kHz tone at about -12 dBFS, G.711 A-law, raw (no header): 8000 bytes, i.e. 50
 *   packets of 160 bytes (20 ms). SIPp 3.6's rtpstream plays a file's bytes as they are, 160 a packet
 *   for PT 8 (SIPp docs, "Media/RTP commands": `rtp_stream="[filename],[loopcount],[payloadtype]"`,
 *   loopcount -1 repeats until the call ends; PCMA: PT 8, 160 bytes, 20 ms).
 * - Caller (uac): its SDP offers only PCMA (`m=audio [media_port] RTP/AVP 8`, `a=rtpmap:8 PCMA/8000`),
 *   and right after the ACK an `<exec rtp_stream="FILE,-1,8"/>` starts the tone, looped until the
 *   call ends (the BYE after the hold). SIPp 3.6.1's rtpstream sends from the -mp port (one socket per
 *   call, all on that port) to the address in the 200's SDP, from a small pool of threads.
 * - Callee (uas): its SDP answers PCMA the same way; run with -rtp_echo, SIPp sends every packet that
 *   reaches its -mp port straight back to where it came from.
 *
 * Both legs settle on PCMA, so the engine relays the packets (header rewritten, payload unchanged)
 * rather than transcoding.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAlaw } from '../src/media/codec/index.js';
import { PEERS_SIPP } from './e2e-sipp.js';

/** RTP payload type of the audio both legs negotiate (RFC 3551: PCMA). */
export const MEDIA_PAYLOAD_TYPE = 8;
/** Packet time of SIPp's rtpstream for PCMA. */
export const MEDIA_PTIME_MS = 20;
const SAMPLE_RATE = 8000;

/** Writes 1 s of a 1 kHz A-law tone (raw bytes) into `dir`; returns its path. */
export function writeAlawTone(dir: string): string {
  const pcm = new Int16Array(SAMPLE_RATE);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8192 * Math.sin((2 * Math.PI * 1000 * i) / SAMPLE_RATE));
  const alaw = new Uint8Array(pcm.length);
  encodeAlaw(pcm, alaw);
  const file = join(dir, 'tone-1khz-1s.alaw');
  writeFileSync(file, alaw);
  return file;
}

/** The shared scenarios' PCMU media line and rtpmap, whatever their indentation. */
const PCMU_SDP = /m=audio \[media_port\] RTP\/AVP 0(\r?\n[ \t]*)a=rtpmap:0 PCMU\/8000/;
const PCMA_SDP = `m=audio [media_port] RTP/AVP ${MEDIA_PAYLOAD_TYPE}$1a=rtpmap:${MEDIA_PAYLOAD_TYPE} PCMA/8000`;
/** Where the caller's hold begins (uac.xml: the wait for a late 180 that times out into the BYE). */
const HOLD_START = '<recv response="180" timeout="##HOLD_MS##"';

function xmlAttribute(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function withPcma(xml: string, name: string): string {
  if (!PCMU_SDP.test(xml)) throw new Error(`${name}: its SDP no longer has the PCMU media line this bench rewrites to PCMA`);
  return xml.replace(PCMU_SDP, PCMA_SDP);
}

export interface MediaScenarios {
  /** The caller's scenario: PCMA offer, the tone streamed from the ACK to the BYE. */
  uac: string;
  /** The callee's scenario: PCMA answer (run it with -rtp_echo). */
  uas: string;
  /** The audio file the callers stream. */
  audio: string;
  /** Packets a call carries in each direction on each leg: one per 20 ms of the hold. */
  packetsPerCall: number;
}

/**
 * Writes the RTP-carrying scenarios and their audio into `dir`. With `rtp` false the callers stream
 * nothing (the SDP is the same, so the engine still opens and negotiates both legs' media): the same
 * calls as signalling alone, to tell the main thread's RTP work from the rest.
 */
export function writeMediaScenarios(dir: string, holdMs: number, rtp = true): MediaScenarios {
  const audio = writeAlawTone(dir);
  let uac = withPcma(readFileSync(join(PEERS_SIPP, 'uac.xml'), 'utf8'), 'uac.xml');
  const at = uac.indexOf(HOLD_START);
  if (at < 0) throw new Error('uac.xml: its hold (a <recv response="180" timeout="##HOLD_MS##">) is gone; the bench starts RTP just before it');
  const stream = !rtp
    ? ''
    : `<!-- e2e bench: G.711 A-law (PT ${MEDIA_PAYLOAD_TYPE}, ${MEDIA_PTIME_MS} ms) from the ACK until the call ends, the file looped (-1) by SIPp's rtpstream -->\n` +
      `  <nop><action><exec rtp_stream="${xmlAttribute(`${audio},-1,${MEDIA_PAYLOAD_TYPE}`)}"/></action></nop>\n\n  `;
  uac = (uac.slice(0, at) + stream + uac.slice(at)).replaceAll('##HOLD_MS##', String(holdMs));
  const uacFile = join(dir, `uac_${rtp ? 'rtp' : 'sdp'}_pcma_hold${holdMs}.xml`);
  writeFileSync(uacFile, uac);
  const uasFile = join(dir, 'uas_rtp_pcma.xml');
  writeFileSync(uasFile, withPcma(readFileSync(join(PEERS_SIPP, 'uas.xml'), 'utf8'), 'uas.xml'));
  return { uac: uacFile, uas: uasFile, audio, packetsPerCall: rtp ? Math.round(holdMs / MEDIA_PTIME_MS) : 0 };
}
