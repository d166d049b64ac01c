import { ErrorCodes } from '../../kernel/index.js';
import type { Redirect } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, textOf, type ReadContext } from './read-context.js';

/** `<Redirect>`: fetch the next document from the URL given as text. */
export function readRedirect(element: XmlElement, tag: string, context: ReadContext): Redirect | undefined {
  const reader = new AttributeReader(element, tag, context);
  const method = reader.method('method', 'POST');
  reader.finish();
  ignoreChildren(element, tag, context, true);
  const url = textOf(element);
  if (url.length === 0) {
    context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> needs a URL`);
    return undefined;
  }
  return { verb: 'redirect', url, method };
}
