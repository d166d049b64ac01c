/**
 * Offers as real user agents write them (addresses moved to the RFC 5737/3849 documentation ranges).
 * SDP lines end in CRLF (RFC 4566 §5).
 */
export const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** SIPp's built-in uac scenario. */
export const SIPP_UAC_OFFER = crlf([
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
]);

/** A Twilio-like media gateway offer (SIP trunking). */
export const TWILIO_OFFER = crlf([
  'v=0',
  'o=root 1815849137 1815849137 IN IP4 203.0.113.10',
  's=Twilio Media Gateway',
  'c=IN IP4 203.0.113.11',
  't=0 0',
  'm=audio 13512 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
]);

/** baresip with Opus first, G.722 and G.711, RTCP on an explicit port (RFC 3605). */
export const BARESIP_OFFER = crlf([
  'v=0',
  'o=- 1190506937 1942463584 IN IP4 192.0.2.20',
  's=-',
  'c=IN IP4 192.0.2.20',
  't=0 0',
  'm=audio 10104 RTP/AVP 96 9 0 8 101',
  'b=AS:128',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=rtcp:10105',
  'a=sendrecv',
  'a=label:1',
  'a=ssrc:3436735566 cname:8e4c1e38-5a3c-4b2f',
  'a=mid:1',
  'a=ptime:20',
]);

/** A desk phone offering G.729 first (annex B off) then G.711, 30 ms packets. */
export const G729_PHONE_OFFER = crlf([
  'v=0',
  'o=- 20518 0 IN IP4 198.51.100.30',
  's=SDP data',
  'c=IN IP4 198.51.100.30',
  't=0 0',
  'm=audio 11780 RTP/AVP 18 0 8 101',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:30',
  'a=sendrecv',
]);

/** An IPv6 softphone (linphone-like) with a media-level c= line and a dynamic telephone-event type. */
export const IPV6_OFFER = crlf([
  'v=0',
  'o=alice 3058 1460 IN IP6 2001:db8::10',
  's=Talk',
  'c=IN IP6 2001:db8::10',
  't=0 0',
  'm=audio 7078 RTP/AVP 8 0 96',
  'c=IN IP6 2001:db8::11',
  'a=rtpmap:96 telephone-event/8000',
]);

/** Audio plus video: the video stream must be rejected with port 0, order kept. */
export const AUDIO_VIDEO_OFFER = crlf([
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 192.0.2.40',
  's=-',
  'c=IN IP4 192.0.2.40',
  't=0 0',
  'm=video 9078 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'm=audio 7078 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
]);

/** Best-effort SRTP style: an SRTP audio line first, then the same stream over plain RTP. */
export const SAVP_THEN_AVP_OFFER = crlf([
  'v=0',
  'o=- 1 1 IN IP4 192.0.2.50',
  's=-',
  'c=IN IP4 192.0.2.50',
  't=0 0',
  'm=audio 4000 RTP/SAVP 0',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
  'm=audio 4002 RTP/AVP 0',
]);

/** A WebRTC-only offer: DTLS-SRTP, which this engine does not speak. */
export const WEBRTC_OFFER = crlf([
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
  'c=IN IP4 0.0.0.0',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  'a=setup:actpass',
  'a=mid:0',
]);

/** Replace the direction attribute of an offer (for hold variants). */
export function withDirection(sdp: string, direction: string): string {
  return sdp.replace(/a=sendrecv/, `a=${direction}`);
}
