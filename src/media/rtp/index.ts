export {
  RtpPacketView,
  RtpParseResult,
  RTP_HEADER_LENGTH,
  RTP_VERSION,
  writeRtpHeader,
  buildRtpPacket,
  type RtpHeaderFields,
} from './rtp-packet-view.js';
export {
  parseRtcp,
  buildRtcp,
  ntpTimestamp,
  ntpMiddle32,
  RtcpPacketType,
  type RtcpPacket,
  type RtcpSenderReport,
  type RtcpReceiverReport,
  type RtcpReportBlock,
  type RtcpSourceDescription,
  type RtcpSdesChunk,
  type RtcpBye,
  type RtcpOtherPacket,
} from './rtcp-packet.js';
export { RtpReceiverStats, type RtpReceptionSummary } from './rtp-receiver-stats.js';
export { RtpStreamRewriter, type RtpStreamRewriterOptions } from './rtp-stream-rewriter.js';
