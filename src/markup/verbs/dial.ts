import { ErrorCodes } from '../../kernel/index.js';
import type { Dial, DialNoun, DialRecord, RecordingStatusEvent, RecordingTrack, Trim } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { checkSpelling, elementKind } from './element-names.js';
import { readClient } from './client.js';
import { readConference } from './conference.js';
import { numberTextValid } from './number.js';
import { readNumber } from './number.js';
import { readQueue } from './queue.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';
import { readSip } from './sip.js';

const recordValues: readonly DialRecord[] = [
  'do-not-record',
  'record-from-answer',
  'record-from-ringing',
  'record-from-answer-dual',
  'record-from-ringing-dual',
];
const recordingEvents: readonly RecordingStatusEvent[] = ['in-progress', 'completed', 'absent'];
const recordingTracks: readonly RecordingTrack[] = ['both', 'inbound', 'outbound'];
const trims: readonly Trim[] = ['trim-silence', 'do-not-trim'];
/** Twilio 003/004: a SIP callerId is "any alphanumeric string ... +-_., but no whitespace". */
const sipCallerId = /^[A-Za-z0-9+\-_.,]+$/;

/** `<Dial>` attributes with Twilio's codes for bad values, then its nouns and the dialect's rules on them. */
export function readDial(element: XmlElement, tag: string, context: ReadContext): Dial | undefined {
  const reader = new AttributeReader(element, tag, context);
  const attributes: Omit<Dial, 'verb' | 'nouns'> = {
    ...optional('action', reader.nonEmpty('action')),
    method: reader.method('method', 'POST', { code: ErrorCodes.dialInvalidMethod }),
    timeout: reader.integer('timeout', 30, { min: 1, max: 600 }, { code: ErrorCodes.dialInvalidTimeoutValue }),
    hangupOnStar: reader.boolean('hangupOnStar', false, { code: ErrorCodes.dialInvalidHangupOnStarValue }),
    timeLimit: reader.integer('timeLimit', 14_400, { min: 1, max: 86_400 }, { code: ErrorCodes.dialInvalidTimeLimitValue }),
    ...optional('callerId', reader.nonEmpty('callerId')),
    record: readRecord(reader, context),
    trim: reader.choice('trim', trims, 'do-not-trim'),
    ...optional('recordingStatusCallback', reader.nonEmpty('recordingStatusCallback')),
    recordingStatusCallbackMethod: reader.method('recordingStatusCallbackMethod', 'POST', { code: ErrorCodes.dialInvalidMethod }),
    recordingStatusCallbackEvents: reader.list('recordingStatusCallbackEvent', recordingEvents) ?? ['completed'],
    recordingTrack: reader.choice('recordingTrack', recordingTracks, 'both'),
    answerOnBridge: reader.boolean('answerOnBridge', false),
    ...optional('ringTone', reader.nonEmpty('ringTone')),
    sequential: reader.boolean('sequential', false),
  };
  reader.finish();
  const nouns = readNouns(element, tag, context);
  if (nouns === undefined) return undefined;
  if (!checkNouns(nouns, element, tag, context)) return undefined;
  if (attributes.callerId !== undefined && !callerIdValid(attributes.callerId, nouns, reader, context)) return undefined;
  return { verb: 'dial', ...attributes, nouns };
}

/** A lone didML `<sip>` dials with every `<Dial>` default. */
export function dialOf(nouns: DialNoun[]): Dial {
  return {
    verb: 'dial',
    method: 'POST',
    timeout: 30,
    hangupOnStar: false,
    timeLimit: 14_400,
    record: 'do-not-record',
    trim: 'do-not-trim',
    recordingStatusCallbackMethod: 'POST',
    recordingStatusCallbackEvents: ['completed'],
    recordingTrack: 'both',
    answerOnBridge: false,
    sequential: false,
    nouns,
  };
}

function readRecord(reader: AttributeReader, context: ReadContext): DialRecord {
  const rule = { code: ErrorCodes.dialInvalidRecordValue };
  if (!context.table.recordTrueFalse.value) return reader.choice('record', recordValues, 'do-not-record', rule);
  const value = reader.choice('record', [...recordValues, 'true', 'false'] as const, 'do-not-record', rule);
  // The legacy boolean form: true records from answer, false does not record.
  if (value === 'true') return 'record-from-answer';
  if (value === 'false') return 'do-not-record';
  return value;
}

/** The nouns in order; undefined when one of them is unusable (its error is already reported). */
function readNouns(element: XmlElement, tag: string, context: ReadContext): DialNoun[] | undefined {
  const nouns: DialNoun[] = [];
  let failed = false;
  let sawElement = false;
  for (const child of element.children) {
    if (child.kind !== 'element') continue;
    sawElement = true;
    const kind = elementKind(child.name);
    let noun: DialNoun | undefined;
    switch (kind) {
      case 'Sip':
        checkSpelling(child, kind, context);
        noun = readSip(child, child.name, context);
        break;
      case 'Number':
        checkSpelling(child, kind, context);
        noun = readNumber(child, child.name, context);
        break;
      case 'Client':
        checkSpelling(child, kind, context);
        noun = readClient(child, child.name, context);
        break;
      case 'Conference':
        checkSpelling(child, kind, context);
        noun = readConference(child, child.name, context);
        break;
      case 'Queue':
        checkSpelling(child, kind, context);
        noun = readQueue(child, child.name, context);
        break;
      default:
        context.problems.warning(ErrorCodes.schemaValidationWarning, child, `<${child.name}> is not a noun of <${tag}>; ignored`);
        continue;
    }
    if (noun === undefined) failed = true;
    else nouns.push(noun);
  }
  const text = textOf(element);
  if (text.length > 0) {
    if (sawElement) {
      context.problems.warning(ErrorCodes.schemaValidationWarning, element, `text '${text.slice(0, 40)}' beside nouns in <${tag}> is ignored`);
    } else if (numberTextValid(text, element, tag, context)) {
      nouns.push({ noun: 'number', number: text, method: 'POST', statusCallbackMethod: 'POST', statusCallbackEvents: [] });
    } else {
      failed = true;
    }
  }
  if (failed) return undefined;
  if (nouns.length === 0) {
    context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> has nothing to dial`);
    return undefined;
  }
  return nouns;
}

function checkNouns(nouns: DialNoun[], element: XmlElement, tag: string, context: ReadContext): boolean {
  const max = context.table.maxNouns.value;
  if (nouns.length > max) {
    context.problems.error(ErrorCodes.dialTooManyNouns, element, `<${tag}> holds ${nouns.length} nouns; at most ${max} are dialled`);
    return false;
  }
  const sips = nouns.filter((noun) => noun.noun === 'sip').length;
  if (sips === 0) return true;
  const others = nouns.length - sips;
  const mixing = context.table.nounMixing.value;
  if (mixing === 'sip-only' && others > 0) {
    context.problems.error(ErrorCodes.sipTooManyNouns, element, `${context.table.dialect} does not mix <Sip> with other nouns in one <${tag}>`);
    return false;
  }
  if (mixing === 'enhanced-sip-account' && !context.enhancedSip && nouns.length > 1) {
    context.problems.error(
      ErrorCodes.sipTooManyNouns,
      element,
      `without enhanced SIP on the account, a <Sip> must be the only noun of its <${tag}>`,
    );
    return false;
  }
  return true;
}

function callerIdValid(callerId: string, nouns: DialNoun[], reader: AttributeReader, context: ReadContext): boolean {
  const place = reader.place('callerId');
  if (/\s/.test(callerId)) {
    context.problems.error(ErrorCodes.dialInvalidCallerId, place, `callerId '${callerId.slice(0, 40)}' may not contain whitespace`);
    return false;
  }
  if (nouns.some((noun) => noun.noun === 'sip') && !sipCallerId.test(callerId)) {
    context.problems.error(ErrorCodes.dialInvalidCallerId, place, `callerId '${callerId.slice(0, 40)}' for <Sip> may hold only letters, digits and +-_.,`);
    return false;
  }
  return true;
}
