import type { Leave } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, type ReadContext } from './read-context.js';

/** `<Leave>`: leave the queue the call waits in; no attributes, no content. */
export function readLeave(element: XmlElement, tag: string, context: ReadContext): Leave {
  new AttributeReader(element, tag, context).finish();
  ignoreChildren(element, tag, context, false);
  return { verb: 'leave' };
}
