import { ErrorCodes } from '../../kernel/index.js';
import type { XmlElement } from '../xml/xml-tree.js';
import type { ReadContext } from './read-context.js';

/** Every element the model knows, in its TwiML spelling. */
export const knownElements = [
  'Response',
  'Dial',
  'Sip',
  'Number',
  'Client',
  'Conference',
  'Queue',
  'Say',
  'Play',
  'Pause',
  'Gather',
  'Hangup',
  'Redirect',
  'Reject',
  'Record',
  'Enqueue',
  'Leave',
] as const;
export type KnownElement = (typeof knownElements)[number];

const byLower = new Map<string, KnownElement>(knownElements.map((name) => [name.toLowerCase(), name]));

/** The element an XML name means, read in any case. */
export function elementKind(name: string): KnownElement | undefined {
  return byLower.get(name.toLowerCase());
}

/** The dialect's own spelling of an element. */
export function spelling(kind: KnownElement, context: ReadContext): string {
  return context.table.tagCase.value === 'lower' ? kind.toLowerCase() : kind;
}

/** Outside didML, a spelling other than the dialect's draws 12200 naming the right one. */
export function checkSpelling(element: XmlElement, kind: KnownElement, context: ReadContext): void {
  const wanted = spelling(kind, context);
  if (element.name !== wanted && context.table.warnOnCase.value) {
    context.problems.warning(ErrorCodes.schemaValidationWarning, element, `<${element.name}> should be written <${wanted}> in ${context.table.dialect}`);
  }
}

/** Elements inside a verb that takes none are reported and ignored. */
export function ignoreChildren(element: XmlElement, tag: string, context: ReadContext, allowText: boolean): void {
  for (const child of element.children) {
    if (child.kind === 'element') {
      context.problems.warning(ErrorCodes.schemaValidationWarning, child, `<${child.name}> is not allowed inside <${tag}>; ignored`);
    } else if (!allowText && child.text.trim().length > 0) {
      context.problems.warning(ErrorCodes.schemaValidationWarning, child, `<${tag}> takes no text; ignored`);
      return;
    }
  }
}
