import { ErrorCodes } from '../../kernel/index.js';
import type { Enqueue } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

/** `<Enqueue>`: put the caller in the queue named by the text. */
export function readEnqueue(element: XmlElement, tag: string, context: ReadContext): Enqueue | undefined {
  const reader = new AttributeReader(element, tag, context);
  const enqueue: Enqueue = {
    verb: 'enqueue',
    queueName: textOf(element),
    ...optional('action', reader.nonEmpty('action')),
    method: reader.method('method', 'POST'),
    ...optional('waitUrl', reader.nonEmpty('waitUrl')),
    waitUrlMethod: reader.method('waitUrlMethod', 'POST'),
  };
  reader.finish();
  ignoreChildren(element, tag, context, true);
  if (enqueue.queueName.length === 0) {
    context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> needs a queue name`);
    return undefined;
  }
  return enqueue;
}
