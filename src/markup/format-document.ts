import { dialectTables } from './dialects/index.js';
import type { DialNoun, Verb, VoiceDocument } from './types.js';
import type { KnownElement } from './verbs/element-names.js';

/**
 * The normalised document: the dialect's tag spelling, every attribute with its effective value
 * (defaults made explicit, `record="true"` written as record-from-answer), list attributes joined as
 * the dialect joins them, text trimmed. A <Sip> target is written as it was given (the model keeps
 * the parsed parts beside it), so reading the output again yields the same model.
 */
export function formatDocument(document: VoiceDocument): string {
  const writer = new XmlWriter(document);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<${writer.tag('Response')}>`];
  for (const verb of document.verbs) lines.push(...writer.verb(verb, 1));
  lines.push(`</${writer.tag('Response')}>`);
  return lines.join('\n') + '\n';
}

/** The model as JSON, for `dialtone check --json` and for tools. */
export function toJson(document: VoiceDocument): string {
  return JSON.stringify(document, null, 2);
}

type AttributeValue = string | number | boolean | readonly string[] | undefined;

class XmlWriter {
  private readonly separator: string;
  private readonly sipAttributes: ReadonlySet<string>;
  private readonly lower: boolean;

  constructor(document: VoiceDocument) {
    const table = dialectTables[document.dialect];
    this.separator = table.statusCallbackEventSeparator.value === 'comma' ? ',' : ' ';
    this.sipAttributes = new Set(table.sipAttributes.value);
    this.lower = table.tagCase.value === 'lower';
  }

  tag(kind: KnownElement): string {
    return this.lower ? kind.toLowerCase() : kind;
  }

  verb(verb: Verb, depth: number): string[] {
    switch (verb.verb) {
      case 'dial': {
        const { verb: _v, nouns, recordingStatusCallbackEvents, ...rest } = verb;
        const open = this.open('Dial', { ...rest, recordingStatusCallbackEvent: recordingStatusCallbackEvents }, depth);
        return [open, ...nouns.map((noun) => this.noun(noun, depth + 1)), `${indent(depth)}</${this.tag('Dial')}>`];
      }
      case 'gather': {
        const { verb: _v, children, ...rest } = verb;
        if (children.length === 0) return [this.element('Gather', rest, undefined, depth)];
        const open = this.open('Gather', rest, depth);
        return [open, ...children.flatMap((child) => this.verb(child, depth + 1)), `${indent(depth)}</${this.tag('Gather')}>`];
      }
      case 'say': {
        const { verb: _v, text, ...rest } = verb;
        return [this.element('Say', rest, text, depth)];
      }
      case 'play': {
        const { verb: _v, url, ...rest } = verb;
        return [this.element('Play', rest, url, depth)];
      }
      case 'pause': {
        const { verb: _v, ...rest } = verb;
        return [this.element('Pause', rest, undefined, depth)];
      }
      case 'hangup':
        return [this.element('Hangup', {}, undefined, depth)];
      case 'leave':
        return [this.element('Leave', {}, undefined, depth)];
      case 'redirect':
        return [this.element('Redirect', { method: verb.method }, verb.url, depth)];
      case 'reject':
        return [this.element('Reject', { reason: verb.reason }, undefined, depth)];
      case 'record': {
        const { verb: _v, ...rest } = verb;
        return [this.element('Record', rest, undefined, depth)];
      }
      case 'enqueue': {
        const { verb: _v, queueName, ...rest } = verb;
        return [this.element('Enqueue', rest, queueName, depth)];
      }
    }
  }

  private noun(noun: DialNoun, depth: number): string {
    switch (noun.noun) {
      case 'sip': {
        const { noun: _n, uri, statusCallbackEvents, codecs, ...rest } = noun;
        const attributes: Record<string, AttributeValue> = {
          ...rest,
          statusCallbackEvent: statusCallbackEvents,
          codecs: codecs.length === 0 ? undefined : codecs.join(','),
        };
        // Only the attributes this dialect's <Sip> takes, so the output reads back without warnings.
        const allowed = Object.fromEntries(Object.entries(attributes).filter(([name]) => this.sipAttributes.has(name)));
        return this.element('Sip', allowed, uri.raw, depth);
      }
      case 'number': {
        const { noun: _n, number, statusCallbackEvents, ...rest } = noun;
        return this.element('Number', { ...rest, statusCallbackEvent: statusCallbackEvents }, number, depth);
      }
      case 'client': {
        const { noun: _n, identity, statusCallbackEvents, ...rest } = noun;
        return this.element('Client', { ...rest, statusCallbackEvent: statusCallbackEvents }, identity, depth);
      }
      case 'conference': {
        const { noun: _n, name, statusCallbackEvents, ...rest } = noun;
        return this.element('Conference', { ...rest, statusCallbackEvent: statusCallbackEvents.join(' ') || undefined }, name, depth);
      }
      case 'queue': {
        const { noun: _n, name, ...rest } = noun;
        return this.element('Queue', rest, name, depth);
      }
    }
  }

  private open(kind: KnownElement, attributes: Record<string, AttributeValue>, depth: number): string {
    return `${indent(depth)}<${this.tag(kind)}${this.attributes(attributes)}>`;
  }

  private element(kind: KnownElement, attributes: Record<string, AttributeValue>, text: string | undefined, depth: number): string {
    const open = `${indent(depth)}<${this.tag(kind)}${this.attributes(attributes)}`;
    return text === undefined || text.length === 0 ? `${open}/>` : `${open}>${escapeText(text)}</${this.tag(kind)}>`;
  }

  private attributes(attributes: Record<string, AttributeValue>): string {
    let out = '';
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      let text: string;
      if (Array.isArray(value)) {
        if (value.length === 0) continue;
        text = value.join(name === 'statusCallbackEvent' ? this.separator : ' ');
      } else {
        text = String(value);
      }
      out += ` ${name}="${escapeAttribute(text)}"`;
    }
    return out;
  }
}

function indent(depth: number): string {
  return '  '.repeat(depth);
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}
