import { ErrorCodes } from '../../kernel/index.js';
import type { NumberNoun } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

/** `<Number>`, or the bare text of a `<Dial>` (`<Dial>415-123-4567</Dial>`), which Twilio dials as one. */
export function readNumber(element: XmlElement, tag: string, context: ReadContext): NumberNoun | undefined {
  const reader = new AttributeReader(element, tag, context);
  const method = { code: ErrorCodes.dialInvalidMethod };
  const statusCallback = reader.nonEmpty('statusCallback');
  const sendDigits = reader.nonEmpty('sendDigits');
  if (sendDigits !== undefined && !/^[0-9*#wW]+$/.test(sendDigits)) {
    context.problems.warning(ErrorCodes.schemaValidationWarning, reader.place('sendDigits'), 'sendDigits may hold only 0-9, *, # and w; ignored');
  }
  const noun: NumberNoun = {
    noun: 'number',
    number: textOf(element),
    ...optional('sendDigits', sendDigits !== undefined && /^[0-9*#wW]+$/.test(sendDigits) ? sendDigits : undefined),
    ...optional('url', reader.nonEmpty('url')),
    method: reader.method('method', 'POST', method),
    ...optional('statusCallback', statusCallback),
    statusCallbackMethod: reader.method('statusCallbackMethod', 'POST', method),
    statusCallbackEvents: reader.callProgressEvents('statusCallbackEvent', statusCallback !== undefined),
  };
  reader.finish();
  ignoreChildren(element, tag, context, true);
  return numberTextValid(noun.number, element, tag, context) ? noun : undefined;
}

export function numberTextValid(number: string, element: XmlElement, tag: string, context: ReadContext): boolean {
  if (/^\+?[0-9][0-9\-(). ]*$/.test(number)) return true;
  context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> needs a phone number, not '${number.slice(0, 40)}'`);
  return false;
}
