import { ErrorCodes } from '../../kernel/index.js';
import type { Say } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

/** `<Say>`: text to speak; loop 0 repeats until the call ends. */
export function readSay(element: XmlElement, tag: string, context: ReadContext): Say {
  const reader = new AttributeReader(element, tag, context);
  const say: Say = {
    verb: 'say',
    text: textOf(element),
    ...optional('voice', reader.nonEmpty('voice')),
    ...optional('language', reader.nonEmpty('language')),
    loop: reader.integer('loop', 1, { min: 0, max: 1000 }),
  };
  reader.finish();
  ignoreChildren(element, tag, context, true);
  if (say.text.length === 0) context.problems.warning(ErrorCodes.schemaValidationWarning, element, `<${tag}> has no text; nothing is said`);
  return say;
}
