import type { RecordVerb, Trim } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { finishOnKey } from './gather.js';
import { AttributeReader, optional, type ReadContext } from './read-context.js';

const trims: readonly Trim[] = ['trim-silence', 'do-not-trim'];

/** `<Record>` with Twilio's defaults: 5 s of silence, any key ends, one hour at most, beep, trimmed. */
export function readRecord(element: XmlElement, tag: string, context: ReadContext): RecordVerb {
  const reader = new AttributeReader(element, tag, context);
  const record: RecordVerb = {
    verb: 'record',
    ...optional('action', reader.nonEmpty('action')),
    method: reader.method('method', 'POST'),
    timeout: reader.integer('timeout', 5, { min: 0, max: 3600 }),
    finishOnKey: finishOnKey(reader, '1234567890*#', context, tag),
    maxLength: reader.integer('maxLength', 3600, { min: 1, max: 14_400 }),
    playBeep: reader.boolean('playBeep', true),
    trim: reader.choice('trim', trims, 'trim-silence'),
    ...optional('recordingStatusCallback', reader.nonEmpty('recordingStatusCallback')),
    recordingStatusCallbackMethod: reader.method('recordingStatusCallbackMethod', 'POST'),
  };
  reader.finish();
  ignoreChildren(element, tag, context, false);
  return record;
}
