/**
 * The seed documents' XML examples, read out of the stored pages themselves (../shared/seeds, see
 * its README) rather than copied: a change of a seed changes what the end-to-end tests run.
 *   000 didML: two XML blocks.  003, 004 TwiML: XML blocks (004's stored text numbers each line).
 *   002 cXML: the stored text lost the tags of its ```xml blocks, so each example is the output of
 *   the page's own Node.js code for it, run with the `twilio` VoiceResponse in place of SignalWire's
 *   LaML VoiceResponse (the same builder: the page's C# example even uses Twilio.TwiML).
 *   001 RCML: the stored page kept no example at all; its one document is built from the page's
 *   attribute table: a <Sip> subscribing to every statusCallbackEvent value it lists, comma-separated
 *   as RCML writes them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import twilio from 'twilio';
import { parseDocument, type Dial, type Dialect, type SipNoun } from '../../../src/markup/index.js';
import { sharedDir } from '../../support/shared-dir.js';

export interface SeedExample {
  /** `003#4`: the seed file's number and the example's place among its unique examples (from 1). */
  id: string;
  dialect: Dialect;
  xml: string;
}

/** An example that dials one `<Sip>`, read in its dialect. */
export interface SingleSipExample extends SeedExample {
  dial: Dial;
  sip: SipNoun;
}

const seedFiles = {
  didml: '000_c646f87a476c1a9e.txt',
  rcml: '001_102dab4a2b336ada.txt',
  cxml: '002_c09a963d939320ee.txt',
  twimlOlder: '003_82032d54b50008b7.txt',
  twimlCurrent: '004_103d3cce09397f10.txt',
} as const;

function readSeed(file: string): string {
  return readFileSync(join(sharedDir, 'seeds', file), 'utf8');
}

function numbered(file: string, dialect: Dialect, documents: readonly string[]): SeedExample[] {
  const unique = [...new Set(documents)];
  return unique.map((xml, index) => ({ id: `${file.slice(0, 3)}#${index + 1}`, dialect, xml }));
}

/** The `<Response>…</Response>` blocks of a page (the XML declaration before one, when written). */
function xmlBlocks(text: string): string[] {
  return [...text.matchAll(/(?:<\?xml[^>]*\?>\s*)?<Response>[\s\S]*?<\/Response>/g)].map((match) => match[0]);
}

/** 004's stored text has each code line's number on a line of its own: dropped. */
function withoutLineNumbers(block: string): string {
  return block
    .split('\n')
    .filter((line) => !/^\d+$/.test(line.trim()))
    .join('\n');
}

/** Runs one of the cXML page's Node.js examples with `twilio`'s VoiceResponse and returns what it prints. */
function runPageNodeExample(code: string): string {
  const printed: string[] = [];
  const signalwire = { RestClient: { LaML: { VoiceResponse: twilio.twiml.VoiceResponse } } };
  const requireShim = (name: string): unknown => {
    if (name !== '@signalwire/compatibility-api') throw new Error(`the cXML page's example requires ${name}`);
    return signalwire;
  };
  // The page's snippets assign `dial` without declaring it.
  const run = new Function('require', 'console', `'use strict'; let dial; ${code}`) as (require: unknown, console: unknown) => void;
  run(requireShim, { log: (text: unknown) => printed.push(String(text)) });
  if (printed.length !== 1) throw new Error(`the cXML page's example printed ${printed.length} documents`);
  return printed[0]!;
}

/** RCML: the values the attribute table lists for statusCallbackEvent ("initiated\n, ringing\n, …"). */
function rcmlStatusCallbackEvents(text: string): string[] {
  const table = /^statusCallbackEvent\n((?:,? ?[a-z]+\n)+?)none$/m.exec(text);
  if (table === null) throw new Error('the RCML page no longer lists statusCallbackEvent values');
  return table[1]!
    .split('\n')
    .map((line) => line.replace(/^,\s*/, '').trim())
    .filter((value) => value.length > 0);
}

export function seedExamples(): SeedExample[] {
  const didml = numbered(seedFiles.didml, 'didml', xmlBlocks(readSeed(seedFiles.didml)));
  const older = numbered(seedFiles.twimlOlder, 'twiml', xmlBlocks(readSeed(seedFiles.twimlOlder)));
  const current = numbered(seedFiles.twimlCurrent, 'twiml', xmlBlocks(readSeed(seedFiles.twimlCurrent)).map(withoutLineNumbers));
  const cxmlCode = [...readSeed(seedFiles.cxml).matchAll(/```javascript title="Node\.js"\s*([\s\S]*?)```/g)].map((match) => match[1]!);
  const cxml = numbered(seedFiles.cxml, 'cxml', cxmlCode.map(runPageNodeExample));
  const events = rcmlStatusCallbackEvents(readSeed(seedFiles.rcml));
  const rcml = numbered(seedFiles.rcml, 'rcml', [
    `<Response><Dial><Sip statusCallback="/rcml-events" statusCallbackEvent="${events.join(',')}">sip:alice@example.com</Sip></Dial></Response>`,
  ]);
  return [...didml, ...rcml, ...cxml, ...older, ...current];
}

/** The example with its one `<Dial>` and `<Sip>` read, when it dials exactly one `<Sip>`. */
function asSingleSip(example: SeedExample): SingleSipExample | undefined {
  const { document } = parseDocument(example.xml, { dialect: example.dialect, enhancedSip: true });
  const dial = document?.verbs.find((verb): verb is Dial => verb.verb === 'dial');
  if (dial === undefined || dial.nouns.length !== 1) return undefined;
  const [noun] = dial.nouns;
  return noun?.noun === 'sip' ? { ...example, dial, sip: noun } : undefined;
}

/** The examples that dial exactly one endpoint, with their model. */
export function singleSipExamples(): SingleSipExample[] {
  return seedExamples().flatMap((example) => asSingleSip(example) ?? []);
}

/** The cXML page's codecs: "Select from `PCMU`, `PCMA`, `G722`, `G729`, and `OPUS`". */
export function seedCodecList(): string[] {
  const sentence = /Select from ((?:`[A-Z0-9]+`[, and]*)+)/.exec(readSeed(seedFiles.cxml));
  if (sentence === null) throw new Error('the cXML page no longer lists its codecs');
  return [...sentence[1]!.matchAll(/`([A-Z0-9]+)`/g)].map((match) => match[1]!);
}

/** The example with attributes added to its `<Sip>` (names as the page writes them), read again. */
export function withSipAttributes(example: SingleSipExample, attributes: Record<string, string>): SingleSipExample {
  const written = Object.entries(attributes).map(([name, value]) => ` ${name}="${value}"`).join('');
  const xml = example.xml.replace(/<sip\b/i, (tag) => `${tag}${written}`);
  const changed = asSingleSip({ ...example, id: `${example.id}+${Object.keys(attributes).join('+')}`, xml });
  if (changed === undefined) throw new Error(`${example.id} no longer dials one <Sip> with ${written}`);
  return changed;
}
