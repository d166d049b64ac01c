import { ErrorCodes } from '../../kernel/index.js';
import type { QueueNoun } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

/** `<Queue>` inside `<Dial>`: connect to the caller at the front of the named queue. */
export function readQueue(element: XmlElement, tag: string, context: ReadContext): QueueNoun | undefined {
  const reader = new AttributeReader(element, tag, context);
  const noun: QueueNoun = {
    noun: 'queue',
    name: textOf(element),
    ...optional('url', reader.nonEmpty('url')),
    method: reader.method('method', 'POST'),
  };
  reader.finish();
  ignoreChildren(element, tag, context, true);
  if (noun.name.length === 0) {
    context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> needs a queue name`);
    return undefined;
  }
  return noun;
}
