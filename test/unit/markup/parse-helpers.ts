import assert from 'node:assert/strict';
import { parseDocument, type Dial, type Dialect, type Problem, type SipNoun, type VoiceDocument } from '../../../src/markup/index.js';

/** Parses and asserts the document was accepted; returns it with its warnings. */
export function accept(text: string, dialect: Dialect, enhancedSip = true): { document: VoiceDocument; problems: Problem[] } {
  const result = parseDocument(text, { dialect, enhancedSip });
  assert.ok(result.document, `expected a document, got ${JSON.stringify(result.problems)}`);
  return { document: result.document, problems: result.problems };
}

/** Parses and asserts the document was refused; returns its problems. */
export function refuse(text: string, dialect: Dialect, enhancedSip = true): Problem[] {
  const result = parseDocument(text, { dialect, enhancedSip });
  assert.equal(result.document, undefined, 'expected the document to be refused');
  assert.ok(result.problems.some((problem) => problem.severity === 'error'));
  return result.problems;
}

export function onlyDial(document: VoiceDocument): Dial {
  assert.equal(document.verbs.length, 1);
  const [verb] = document.verbs;
  assert.ok(verb?.verb === 'dial', `expected one <Dial>, got ${verb?.verb}`);
  return verb;
}

export function sipAt(dial: Dial, index: number): SipNoun {
  const noun = dial.nouns[index];
  assert.ok(noun?.noun === 'sip', `expected <Sip> at ${index}, got ${noun?.noun}`);
  return noun;
}

/** The one <Sip> of a document made of one <Dial>. */
export function onlySip(document: VoiceDocument): SipNoun {
  const dial = onlyDial(document);
  assert.equal(dial.nouns.length, 1);
  return sipAt(dial, 0);
}

export function codes(problems: readonly Problem[]): number[] {
  return problems.map((problem) => problem.code);
}
