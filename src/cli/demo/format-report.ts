/**
 * The demo's readable account: the SIP ladder of every leg (as the phones saw it), each webhook
 * request with its key parameters and the markup answered, each status callback, and the recording.
 */
import type { AppExchange } from './sample-app.js';
import type { DemoResult } from './run-demo.js';

const markupPaths = new Set(['/voice', '/screen', '/accept', '/after']);
const requestKeys = ['CallSid', 'From', 'To', 'CallStatus', 'Direction', 'ParentCallSid', 'SipCallId', 'Digits', 'DialCallStatus', 'DialCallSid', 'DialCallDuration', 'DialBridged', 'DialSipResponseCode', 'RecordingSid', 'RecordingDuration'];
const callbackKeys = ['CallStatus', 'SequenceNumber', 'CallSid', 'To', 'CallDuration', 'SipResponseCode', 'RecordingSid'];
const recordingKeys = ['RecordingStatus', 'RecordingSid', 'RecordingDuration', 'RecordingChannels', 'RecordingSource', 'CallSid'];

export function formatDemoReport(result: DemoResult): string {
  const out: string[] = [];
  const t0 = Math.min(result.ladder[0]?.at ?? Infinity, result.exchanges[0]?.at ?? Infinity);
  const time = (at: number): string => `+${((at - t0) / 1000).toFixed(3)}s`.padStart(9);
  const legLetter = new Map(result.legs.map((leg, index) => [leg.callId, String.fromCharCode(65 + index)]));

  out.push('Dialtone demo: one call, end to end, on this machine', '');
  out.push(`  engine   SIP udp ${result.engineSip}, data folder ${result.dataDir}`);
  out.push(`  app      ${result.appBase}  (the sample webhook application)`);
  out.push('  phones   caller; alice (answers, accepts the screening by pressing 1); bob (rings, never answers)');
  out.push('  markup   <Dial record="record-from-answer-dual"> of <Sip url="/screen">alice</Sip> and <Sip>bob</Sip> in parallel', '');

  out.push('SIP ladder (every message the phones sent or received)');
  for (const leg of result.legs) out.push(`  leg ${legLetter.get(leg.callId)}  ${leg.label.padEnd(32)} Call-ID ${shortId(leg.callId)}`);
  out.push('');
  for (const entry of result.ladder) {
    const letter = legLetter.get(entry.callId) ?? '?';
    const arrow = (text: string, right: boolean): string => (right ? `--${text}-->` : `<--${text}--`);
    let picture: string;
    if (entry.party === 'caller') {
      picture = `caller ${arrow(entry.line, entry.direction === 'sent')} engine`;
    } else {
      picture = `${' '.repeat(8)}engine ${arrow(entry.line, entry.direction === 'received')} ${entry.party}`;
    }
    out.push(`  ${time(entry.at)}  ${letter}  ${picture.padEnd(72)} CSeq ${entry.cseq}`);
  }
  out.push('');

  out.push('Webhooks (the engine asking the app what to do, and the markup it answered; app URLs shown as paths)');
  for (const exchange of result.exchanges.filter((candidate) => markupPaths.has(candidate.path))) {
    out.push(`  ${time(exchange.at)}  ${exchange.method} ${exchange.path.padEnd(8)} ${who(exchange)}`);
    out.push(`             ${pick(exchange.params, requestKeys)}`);
    out.push(`             answer: ${exchange.answer.replace(/^<\?xml[^>]*>/, '').split(result.appBase).join('') || '(empty)'}`);
  }
  out.push('');

  out.push('Status callbacks');
  for (const exchange of result.exchanges.filter((candidate) => candidate.path === '/status' || candidate.path === '/dial-status')) {
    const event = exchange.params['CallStatus'] ?? '?';
    out.push(`  ${time(exchange.at)}  ${exchange.path.padEnd(13)} ${who(exchange).padEnd(14)} ${event.padEnd(12)} SequenceNumber=${exchange.params['SequenceNumber'] ?? '?'}  ${pick(exchange.params, callbackKeys.slice(2))}`);
  }
  for (const exchange of result.exchanges.filter((candidate) => candidate.path === '/recording-status')) {
    out.push(`  ${time(exchange.at)}  ${exchange.path.padEnd(13)} ${pick(exchange.params, recordingKeys)}`);
  }
  out.push('');

  out.push('Recording');
  if (result.recording === undefined) {
    out.push('  (none)');
  } else {
    const { recording } = result;
    out.push(`  ${recording.recordingSid}  ${recording.status}, ${recording.durationSeconds ?? '?'} s, ${recording.channels} channel(s): caller left, alice right`);
    out.push(`  file: ${recording.filePath}`);
  }
  out.push('');
  if (result.problems.length > 0) {
    out.push('Problems');
    for (const problem of result.problems) out.push(`  ${problem}`);
    out.push('');
  }
  out.push(`The data folder ${result.dataDir} is kept so you can listen to the recording; delete it when done.`);
  return `${out.join('\n')}\n`;
}

/** Whose call a request is about: `(alice's leg)`, `(bob's leg)` from its To, or the caller's call. */
function who(exchange: AppExchange): string {
  const match = /^sip:(alice|bob)@/.exec(exchange.params['To'] ?? '');
  if (match !== null) return `(${match[1]}'s leg)`;
  return exchange.params['Direction'] === 'inbound' ? "(caller's call)" : '';
}

function pick(params: Record<string, string>, keys: readonly string[]): string {
  return keys
    .filter((key) => params[key] !== undefined)
    .map((key) => `${key}=${key.endsWith('CallId') ? shortId(params[key]!) : params[key]}`)
    .join(' ');
}

function shortId(callId: string): string {
  return callId.length > 14 ? `${callId.slice(0, 12)}…` : callId;
}
