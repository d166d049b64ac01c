import { ErrorCodes } from '../../kernel/index.js';
import type { Play } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { ignoreChildren } from './element-names.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

/** `<Play>`: an audio URL as text, or `digits` to send as DTMF. */
export function readPlay(element: XmlElement, tag: string, context: ReadContext): Play | undefined {
  const reader = new AttributeReader(element, tag, context);
  const digits = reader.nonEmpty('digits');
  const url = textOf(element);
  const play: Play = {
    verb: 'play',
    ...optional('url', url.length > 0 ? url : undefined),
    loop: reader.integer('loop', 1, { min: 0, max: 1000 }),
    ...optional('digits', digits),
  };
  reader.finish();
  ignoreChildren(element, tag, context, true);
  if (digits !== undefined && !/^[0-9*#wW]+$/.test(digits)) {
    context.problems.error(ErrorCodes.schemaValidationWarning, reader.place('digits'), `digits on <${tag}> may hold only 0-9, *, # and w`);
    return undefined;
  }
  if (play.url === undefined && digits === undefined) {
    context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> needs an audio URL or digits`);
    return undefined;
  }
  return play;
}
