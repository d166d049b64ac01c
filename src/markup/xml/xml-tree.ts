import { SaxesParser } from 'saxes';
import { ErrorCodes } from '../../kernel/index.js';
import type { Place, ProblemList } from '../problem-list.js';

export interface XmlAttribute {
  name: string;
  value: string;
  line: number;
  column: number;
}

export interface XmlElement {
  kind: 'element';
  name: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
  line: number;
  column: number;
}

export interface XmlText {
  kind: 'text';
  text: string;
  line: number;
  column: number;
}

export type XmlNode = XmlElement | XmlText;

/** Bounds on what a document may make the parser hold; crossing one is 12100 at the place it happened. */
export interface XmlLimits {
  maxDocumentLength: number;
  maxDepth: number;
  maxElements: number;
  maxAttributesPerElement: number;
  maxAttributeLength: number;
  maxTextLength: number;
}

export const defaultXmlLimits: XmlLimits = {
  maxDocumentLength: 1_000_000,
  maxDepth: 32,
  maxElements: 10_000,
  maxAttributesPerElement: 64,
  maxAttributeLength: 8_192,
  maxTextLength: 65_536,
};

/** saxes is fed in slices so a fatal problem stops the work instead of running to the end. */
const sliceLength = 16_384;

class FatalXml extends Error {}

/**
 * Builds an element tree with saxes (which expands only the five predefined entities and character
 * references) and stops at the first well-formedness problem or limit, reporting 12100 with its place.
 */
export function buildXmlTree(text: string, problems: ProblemList, limits: XmlLimits = defaultXmlLimits): XmlElement | undefined {
  if (text.length > limits.maxDocumentLength) {
    problems.error(ErrorCodes.documentParseFailure, { line: 1, column: 1 }, `document is ${text.length} characters; at most ${limits.maxDocumentLength} are read`);
    return undefined;
  }
  const lineStarts = computeLineStarts(text);
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let fatal = false;
  let lastClosed: string | undefined;

  const fail = (place: Place, message: string): never => {
    if (!fatal) problems.error(ErrorCodes.documentParseFailure, place, message);
    fatal = true;
    throw new FatalXml(message);
  };
  const here = (): Place => ({ line: parser.line, column: Math.max(1, parser.column) });

  parser.on('error', (error) => {
    // saxes prefixes "line:column: "; the place is reported separately.
    const message = error.message.replace(/^\d+:\d+: /, '');
    const open = stack[stack.length - 1]?.name;
    if (message.startsWith('unexpected close tag') || message.startsWith('unmatched closing tag')) {
      // saxes pops (and reports closing) the element it expected just before it fails.
      const expectedName = message.startsWith('unexpected') ? lastClosed : open;
      const at = text.lastIndexOf('</', Math.max(0, parser.position - 1));
      const written = /^<\/([^\s>]*)/.exec(text.slice(at, at + 256))?.[1] ?? '';
      const expected = expectedName === undefined ? 'no closing tag (nothing is open)' : `</${expectedName}>`;
      fail(at >= 0 ? offsetToPlace(lineStarts, at) : here(), `malformed XML: found </${written}>, expected ${expected}`);
    }
    if (message.startsWith('unclosed tag')) fail(here(), `malformed XML: the document ends inside <${open ?? ''}>; expected </${open ?? ''}>`);
    if (message.startsWith('undefined entity')) {
      fail(here(), 'malformed XML: undefined entity; expected &amp; &lt; &gt; &quot; &apos; or a character reference (no other entities exist)');
    }
    fail(here(), `malformed XML: ${message}`);
  });
  parser.on('doctype', () => fail(here(), 'a DOCTYPE is not allowed (no DTDs or entity declarations are read)'));
  parser.on('opentag', (tag) => {
    elements += 1;
    // saxes reports the place after the tag; the tag's '<' is found from the element's start offset.
    const start = findTagStart(text, parser.position, tag.name);
    const place = offsetToPlace(lineStarts, start);
    if (elements > limits.maxElements) fail(place, `more than ${limits.maxElements} elements`);
    if (stack.length >= limits.maxDepth) fail(place, `elements nested deeper than ${limits.maxDepth}`);
    const names = Object.keys(tag.attributes);
    if (names.length > limits.maxAttributesPerElement) fail(place, `more than ${limits.maxAttributesPerElement} attributes on <${tag.name}>`);
    const attributes: XmlAttribute[] = [];
    for (const name of names) {
      const written = tag.attributes[name];
      const value = typeof written === 'string' ? written : (written?.value ?? '');
      const attributePlace = offsetToPlace(lineStarts, findAttribute(text, start, parser.position, name));
      if (value.length > limits.maxAttributeLength) fail(attributePlace, `attribute ${name} is longer than ${limits.maxAttributeLength} characters`);
      attributes.push({ name, value, ...attributePlace });
    }
    const element: XmlElement = { kind: 'element', name: tag.name, attributes, children: [], ...place };
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.children.push(element);
    else root = element;
    if (!tag.isSelfClosing) stack.push(element);
  });
  parser.on('closetag', (tag) => {
    lastClosed = tag.name;
    if (!tag.isSelfClosing) stack.pop();
  });
  const addText = (value: string): void => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return; // whitespace around the root; saxes rejects anything else there
    const last = parent.children[parent.children.length - 1];
    if (last?.kind === 'text') {
      if (last.text.length + value.length > limits.maxTextLength) fail(here(), `text longer than ${limits.maxTextLength} characters`);
      last.text += value;
    } else {
      if (value.length > limits.maxTextLength) fail(here(), `text longer than ${limits.maxTextLength} characters`);
      parent.children.push({ kind: 'text', text: value, ...here() });
    }
  };
  parser.on('text', addText);
  parser.on('cdata', addText);

  try {
    for (let offset = 0; offset < text.length; offset += sliceLength) {
      parser.write(text.slice(offset, offset + sliceLength));
    }
    parser.close();
  } catch (error) {
    if (!(error instanceof FatalXml)) throw error;
  }
  if (fatal) return undefined;
  if (root === undefined) {
    problems.error(ErrorCodes.documentParseFailure, { line: 1, column: 1 }, 'malformed XML: the document has no root element');
    return undefined;
  }
  return root;
}

export function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    // XML 1.0 §2.11: CR LF and lone CR both end a line.
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

export function offsetToPlace(lineStarts: readonly number[], offset: number): Place {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (lineStarts[low] ?? 0) + 1 };
}

/** The '<' of the start tag that ends just before `end`: the last "<name" before it. */
function findTagStart(text: string, end: number, name: string): number {
  const at = text.lastIndexOf(`<${name}`, Math.max(0, end - 1));
  return at >= 0 ? at : Math.max(0, end - 1);
}

/** The first character of attribute `name` inside the start tag text[start, end). */
function findAttribute(text: string, start: number, end: number, name: string): number {
  const tag = text.slice(start, end);
  const pattern = new RegExp(`\\s${escapeRegExp(name)}\\s*=`);
  const match = pattern.exec(tag);
  return match === null ? start : start + match.index + 1;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
