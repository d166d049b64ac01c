import type { Reject } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, type ReadContext } from './read-context.js';

/** `<Reject>`: refuse the call as rejected (default) or busy. */
export function readReject(element: XmlElement, tag: string, context: ReadContext): Reject {
  const reader = new AttributeReader(element, tag, context);
  const reject: Reject = { verb: 'reject', reason: reader.choice('reason', ['rejected', 'busy'] as const, 'rejected') };
  reader.finish();
  ignoreChildren(element, tag, context, false);
  return reject;
}
