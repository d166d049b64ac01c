import { ErrorCodes } from '../kernel/index.js';
import { dialectTables } from './dialects/index.js';
import { ProblemList } from './problem-list.js';
import type { Dialect, Problem, Verb, VoiceDocument } from './types.js';
import { checkSpelling, elementKind, knownElements, spelling } from './verbs/element-names.js';
import { dialOf, readDial } from './verbs/dial.js';
import { readEnqueue } from './verbs/enqueue.js';
import { readGather } from './verbs/gather.js';
import { readHangup } from './verbs/hangup.js';
import { readLeave } from './verbs/leave.js';
import { readPause } from './verbs/pause.js';
import { readPlay } from './verbs/play.js';
import { AttributeReader, type ReadContext } from './verbs/read-context.js';
import { readRecord } from './verbs/record.js';
import { readRedirect } from './verbs/redirect.js';
import { readReject } from './verbs/reject.js';
import { readSay } from './verbs/say.js';
import { readSip } from './verbs/sip.js';
import { repairMismatchedCloseTags } from './xml/repair-close-tags.js';
import { buildXmlTree, computeLineStarts, defaultXmlLimits, offsetToPlace, type XmlElement, type XmlLimits } from './xml/xml-tree.js';

export interface ParseOptions {
  dialect: Dialect;
  /** Twilio's Enhanced Programmable SIP on the account: mixed and several nouns with <Sip>. Default true. */
  enhancedSip?: boolean;
  limits?: Partial<XmlLimits>;
}

/** `document` is present exactly when no problem is an error; warnings come with a document. */
export interface ParseResult {
  document?: VoiceDocument;
  problems: Problem[];
}

const lowerVerbs = new Set<string>(knownElements.map((name) => name.toLowerCase()));

/** Parses and validates a voice document of any dialect into the one model. Never throws on input. */
export function parseDocument(text: string, options: ParseOptions): ParseResult {
  const table = dialectTables[options.dialect];
  const problems = new ProblemList();
  const context: ReadContext = { table, problems, enhancedSip: options.enhancedSip ?? true };
  const limits: XmlLimits = { ...defaultXmlLimits, ...options.limits };

  let source = blankXmlDeclaration(text);
  if (table.repairMismatchedClose.value && source.length <= limits.maxDocumentLength) {
    const repaired = repairMismatchedCloseTags(source, (name) => lowerVerbs.has(name.toLowerCase()), limits.maxDepth);
    if (repaired.repairs.length > 0) {
      const lineStarts = computeLineStarts(source);
      for (const repair of repaired.repairs) {
        problems.warning(
          ErrorCodes.documentParseFailure,
          offsetToPlace(lineStarts, repair.offset),
          `</${repair.wrote}> does not close <${repair.closes}>; read as </${repair.closes}>`,
        );
      }
      source = repaired.text;
    }
  }

  const root = buildXmlTree(source, problems, limits);
  if (root !== undefined) {
    const verbs = readResponse(root, context);
    if (verbs !== undefined && !problems.hasErrors()) {
      return { document: { dialect: options.dialect, verbs }, problems: sorted(problems.items) };
    }
  }
  return { problems: sorted(problems.items) };
}

function readResponse(root: XmlElement, context: ReadContext): Verb[] | undefined {
  if (elementKind(root.name) !== 'Response') {
    context.problems.error(ErrorCodes.documentParseFailure, root, `the root element must be <${spelling('Response', context)}>, not <${root.name}>`);
    return undefined;
  }
  checkSpelling(root, 'Response', context);
  new AttributeReader(root, root.name, context).finish();
  const verbs: Verb[] = [];
  for (const child of root.children) {
    if (child.kind === 'text') {
      if (child.text.trim().length > 0) {
        context.problems.warning(ErrorCodes.schemaValidationWarning, child, `text '${child.text.trim().slice(0, 40)}' directly in <${root.name}> is ignored`);
      }
      continue;
    }
    const verb = readVerb(child, context);
    if (verb !== undefined) verbs.push(verb);
  }
  return verbs;
}

function readVerb(element: XmlElement, context: ReadContext): Verb | undefined {
  const kind = elementKind(element.name);
  if (kind === undefined) {
    context.problems.warning(ErrorCodes.schemaValidationWarning, element, `unknown verb <${element.name}> in ${context.table.dialect}; ignored`);
    return undefined;
  }
  checkSpelling(element, kind, context);
  const tag = element.name;
  switch (kind) {
    case 'Dial':
      return readDial(element, tag, context);
    case 'Say':
      return readSay(element, tag, context);
    case 'Play':
      return readPlay(element, tag, context);
    case 'Pause':
      return readPause(element, tag, context);
    case 'Gather':
      return readGather(element, tag, context);
    case 'Hangup':
      return readHangup(element, tag, context);
    case 'Redirect':
      return readRedirect(element, tag, context);
    case 'Reject':
      return readReject(element, tag, context);
    case 'Record':
      return readRecord(element, tag, context);
    case 'Enqueue':
      return readEnqueue(element, tag, context);
    case 'Leave':
      return readLeave(element, tag, context);
    case 'Sip': {
      if (context.table.loneSipDials.value) {
        // didML 000: "SIP Keyword can be used alone or it can be nested inside dial command."
        const sip = readSip(element, tag, context);
        return sip === undefined ? undefined : dialOf([sip]);
      }
      context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> must be inside <${spelling('Dial', context)}> in ${context.table.dialect}`);
      return undefined;
    }
    case 'Number':
    case 'Client':
    case 'Conference':
    case 'Queue':
      context.problems.error(ErrorCodes.schemaValidationWarning, element, `<${tag}> must be inside <${spelling('Dial', context)}>`);
      return undefined;
    case 'Response':
      context.problems.warning(ErrorCodes.schemaValidationWarning, element, `<${tag}> inside <${tag}> is ignored`);
      return undefined;
  }
}

/**
 * The document arrives already decoded, so the XML declaration says nothing more; it is blanked
 * (newlines kept, so places do not move) to let whitespace before it through, as webhooks often send.
 */
function blankXmlDeclaration(text: string): string {
  const match = /^(\uFEFF?\s*)(<\?xml[^?>]*\?>)/.exec(text.slice(0, 512));
  if (match?.[1] === undefined || match[2] === undefined) return text;
  const declaration = match[2];
  return match[1] + declaration.replace(/[^\r\n]/g, ' ') + text.slice(match[0].length);
}

function sorted(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}
