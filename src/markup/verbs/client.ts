import { ErrorCodes } from '../../kernel/index.js';
import type { ClientNoun } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

/** `<Client>`: a client identity as text. */
export function readClient(element: XmlElement, tag: string, context: ReadContext): ClientNoun | undefined {
  const reader = new AttributeReader(element, tag, context);
  const method = { code: ErrorCodes.dialInvalidMethod };
  const statusCallback = reader.nonEmpty('statusCallback');
  const noun: ClientNoun = {
    noun: 'client',
    identity: textOf(element),
    ...optional('url', reader.nonEmpty('url')),
    method: reader.method('method', 'POST', method),
    ...optional('statusCallback', statusCallback),
    statusCallbackMethod: reader.method('statusCallbackMethod', 'POST', method),
    statusCallbackEvents: reader.callProgressEvents('statusCallbackEvent', statusCallback !== undefined),
  };
  reader.finish();
  ignoreChildren(element, tag, context, true);
  if (noun.identity.length === 0) {
    context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> needs a client identity`);
    return undefined;
  }
  return noun;
}
