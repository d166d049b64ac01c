import { ErrorCodes } from '../../kernel/index.js';
import type { ConferenceBeep, ConferenceNoun } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

const beeps: readonly ConferenceBeep[] = ['true', 'false', 'onEnter', 'onExit'];
const conferenceEvents = ['start', 'end', 'join', 'leave', 'mute', 'hold', 'modify', 'speaker', 'announcement'] as const;

/** `<Conference>`: a room name as text, with Twilio's main attributes. */
export function readConference(element: XmlElement, tag: string, context: ReadContext): ConferenceNoun | undefined {
  const reader = new AttributeReader(element, tag, context);
  const noun: ConferenceNoun = {
    noun: 'conference',
    name: textOf(element),
    muted: reader.boolean('muted', false),
    beep: reader.choice('beep', beeps, 'true'),
    startConferenceOnEnter: reader.boolean('startConferenceOnEnter', true),
    endConferenceOnExit: reader.boolean('endConferenceOnExit', false),
    ...optional('waitUrl', reader.nonEmpty('waitUrl')),
    waitMethod: reader.method('waitMethod', 'POST'),
    maxParticipants: reader.integer('maxParticipants', 250, { min: 2, max: 250 }),
    record: reader.choice('record', ['do-not-record', 'record-from-start'] as const, 'do-not-record'),
    ...optional('statusCallback', reader.nonEmpty('statusCallback')),
    statusCallbackMethod: reader.method('statusCallbackMethod', 'POST'),
    statusCallbackEvents: reader.list('statusCallbackEvent', conferenceEvents, {}, 'space') ?? [],
  };
  reader.finish();
  ignoreChildren(element, tag, context, true);
  if (noun.name.length === 0) {
    context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> needs a conference name`);
    return undefined;
  }
  return noun;
}
