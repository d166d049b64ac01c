import type { Pause } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, type ReadContext } from './read-context.js';

/** `<Pause>`: silence for `length` seconds (default 1). */
export function readPause(element: XmlElement, tag: string, context: ReadContext): Pause {
  const reader = new AttributeReader(element, tag, context);
  const pause: Pause = { verb: 'pause', length: reader.integer('length', 1, { min: 1, max: 600 }) };
  reader.finish();
  ignoreChildren(element, tag, context, false);
  return pause;
}
