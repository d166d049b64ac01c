import type { Hangup } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, type ReadContext } from './read-context.js';

/** `<Hangup>`: no attributes, no content. */
export function readHangup(element: XmlElement, tag: string, context: ReadContext): Hangup {
  new AttributeReader(element, tag, context).finish();
  ignoreChildren(element, tag, context, false);
  return { verb: 'hangup' };
}
