import { ErrorCodes } from '../../kernel/index.js';
import type { Gather, GatherInput, Pause, Play, Say } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { checkSpelling, elementKind } from './element-names.js';
import { readPause } from './pause.js';
import { readPlay } from './play.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';
import { readSay } from './say.js';

const inputs: readonly GatherInput[] = ['dtmf', 'speech'];

/** `<Gather>` with nested `<Say>`, `<Play>` and `<Pause>` played while it listens. */
export function readGather(element: XmlElement, tag: string, context: ReadContext): Gather | undefined {
  const reader = new AttributeReader(element, tag, context);
  const gather: Gather = {
    verb: 'gather',
    input: reader.list('input', inputs, {}, 'space') ?? ['dtmf'],
    ...optional('numDigits', reader.optionalInteger('numDigits', { min: 1, max: 100 })),
    finishOnKey: finishOnKey(reader, '#', context, tag),
    timeout: reader.integer('timeout', 5, { min: 0, max: 600 }),
    ...optional('action', reader.nonEmpty('action')),
    method: reader.method('method', 'POST'),
    children: [],
  };
  if (gather.input.length === 0) gather.input = ['dtmf'];
  reader.finish();
  let failed = false;
  for (const child of element.children) {
    if (child.kind !== 'element') continue;
    const kind = elementKind(child.name);
    let nested: Say | Play | Pause | undefined;
    if (kind === 'Say') nested = readSay(child, child.name, context);
    else if (kind === 'Play') nested = readPlay(child, child.name, context);
    else if (kind === 'Pause') nested = readPause(child, child.name, context);
    else {
      context.problems.warning(ErrorCodes.schemaValidationWarning, child, `<${child.name}> is not allowed inside <${tag}>; ignored`);
      continue;
    }
    checkSpelling(child, kind, context);
    if (nested === undefined) failed = true;
    else gather.children.push(nested);
  }
  if (textOf(element).length > 0) context.problems.warning(ErrorCodes.schemaValidationWarning, element, `<${tag}> takes no text; ignored`);
  return failed ? undefined : gather;
}

/** A key set from 0-9, * and #; empty means no key ends the input. */
export function finishOnKey(reader: AttributeReader, fallback: string, context: ReadContext, tag: string): string {
  const value = reader.string('finishOnKey');
  if (value === undefined) return fallback;
  if (/^[0-9*#]*$/.test(value)) return value;
  context.problems.warning(ErrorCodes.schemaValidationWarning, reader.place('finishOnKey'), `finishOnKey on <${tag}> may hold only 0-9, * and #; the default is used`);
  return fallback;
}
