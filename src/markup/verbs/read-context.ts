import { ErrorCodes } from '../../kernel/index.js';
import type { DialectTable } from '../dialects/index.js';
import type { Place, ProblemList } from '../problem-list.js';
import type { XmlAttribute, XmlElement } from '../xml/xml-tree.js';
import type { CallProgressEvent, HttpMethod, Severity } from '../types.js';
import { callProgressEvents } from '../types.js';

/** What every verb reader gets: the dialect's table, the problem list and the account's options. */
export interface ReadContext {
  table: DialectTable;
  problems: ProblemList;
  enhancedSip: boolean;
}

/** How a bad value is reported: Twilio's code for it (an error) where one exists, else a 12200 warning. */
export interface ValueRule {
  code?: number;
}

/**
 * Reads one element's attributes by their canonical names. Any spelling of a name is read; outside
 * didML a spelling other than the canonical one draws 12200, and so does an attribute nobody read.
 */
export class AttributeReader {
  private readonly byLowerName = new Map<string, XmlAttribute>();
  private readonly used = new Set<XmlAttribute>();

  constructor(
    private readonly element: XmlElement,
    private readonly tag: string,
    private readonly context: ReadContext,
  ) {
    for (const attribute of element.attributes) {
      const lower = attribute.name.toLowerCase();
      if (!this.byLowerName.has(lower)) this.byLowerName.set(lower, attribute);
    }
  }

  /** The trimmed value, or undefined when absent. */
  string(name: string): string | undefined {
    const attribute = this.take(name);
    return attribute?.value.trim();
  }

  /** A non-empty string, or undefined; an empty one is treated as absent. */
  nonEmpty(name: string): string | undefined {
    const value = this.string(name);
    return value === undefined || value.length === 0 ? undefined : value;
  }

  method(name: string, fallback: HttpMethod, rule: ValueRule = {}): HttpMethod {
    const attribute = this.take(name);
    if (attribute === undefined) return fallback;
    const value = attribute.value.trim().toUpperCase();
    if (value === 'GET' || value === 'POST') return value;
    this.bad(attribute, rule, `must be GET or POST`);
    return fallback;
  }

  integer(name: string, fallback: number, range: { min: number; max: number }, rule: ValueRule = {}): number {
    const attribute = this.take(name);
    if (attribute === undefined) return fallback;
    const text = attribute.value.trim();
    const value = /^[+]?[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isInteger(value) && value >= range.min && value <= range.max) return value;
    this.bad(attribute, rule, `must be a whole number from ${range.min} to ${range.max}`);
    return fallback;
  }

  /** Like integer, without a default: undefined when absent or out of range. */
  optionalInteger(name: string, range: { min: number; max: number }, rule: ValueRule = {}): number | undefined {
    if (!this.byLowerName.has(name.toLowerCase())) return undefined;
    const value = this.integer(name, Number.NaN, range, rule);
    return Number.isNaN(value) ? undefined : value;
  }

  boolean(name: string, fallback: boolean, rule: ValueRule = {}): boolean {
    const attribute = this.take(name);
    if (attribute === undefined) return fallback;
    const value = attribute.value.trim().toLowerCase();
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.bad(attribute, rule, 'must be true or false');
    return fallback;
  }

  choice<T extends string>(name: string, values: readonly T[], fallback: T, rule: ValueRule = {}): T {
    const attribute = this.take(name);
    if (attribute === undefined) return fallback;
    const text = attribute.value.trim();
    const found = values.find((value) => value.toLowerCase() === text.toLowerCase());
    if (found !== undefined) return found;
    this.bad(attribute, rule, `must be one of ${values.join(', ')}`);
    return fallback;
  }

  /** Like choice, without a default: undefined when absent or not one of `values`. */
  optionalChoice<T extends string>(name: string, values: readonly T[], rule: ValueRule = {}): T | undefined {
    const attribute = this.take(name);
    if (attribute === undefined) return undefined;
    const text = attribute.value.trim();
    const found = values.find((value) => value.toLowerCase() === text.toLowerCase());
    if (found === undefined) this.bad(attribute, rule, `must be one of ${values.join(', ')}`);
    return found;
  }

  /** A list separated by spaces (or commas, per dialect) of values from `values`, deduplicated. */
  list<T extends string>(name: string, values: readonly T[], rule: ValueRule = {}, separator: 'space' | 'comma' | 'any' = 'any'): T[] | undefined {
    const attribute = this.take(name);
    if (attribute === undefined) return undefined;
    const text = attribute.value.trim();
    if (separator !== 'any') {
      const other = separator === 'space' ? ',' : ' ';
      if (text.includes(other)) {
        this.context.problems.warning(
          ErrorCodes.schemaValidationWarning,
          attribute,
          `${name} on <${this.tag}>: ${this.context.table.dialect} separates values with ${separator === 'space' ? 'spaces' : 'commas'}; read anyway`,
        );
      }
    }
    const out: T[] = [];
    for (const item of text.split(/[\s,]+/)) {
      if (item.length === 0) continue;
      const found = values.find((value) => value.toLowerCase() === item.toLowerCase());
      if (found === undefined) {
        this.bad(attribute, rule, `has '${item}'; values are ${values.join(', ')}`);
        continue;
      }
      if (!out.includes(found)) out.push(found);
    }
    return out;
  }

  /** Call progress events in canonical order; `completed` alone when a callback has none listed. */
  callProgressEvents(name: string, hasCallback: boolean, rule: ValueRule = {}): CallProgressEvent[] {
    const listed = this.list(name, callProgressEvents, rule, this.context.table.statusCallbackEventSeparator.value);
    // Twilio 003/004 and RCML 001: "If a statusCallback is provided and no status callback events are specified the completed event will be sent by default."
    if (listed === undefined || listed.length === 0) return hasCallback ? ['completed'] : [];
    return callProgressEvents.filter((event) => listed.includes(event));
  }

  place(name: string): Place {
    return this.byLowerName.get(name.toLowerCase()) ?? this.element;
  }

  /** Reports every attribute not read: 12200, ignored. */
  finish(): void {
    for (const attribute of this.element.attributes) {
      if (this.used.has(attribute)) continue;
      this.context.problems.warning(
        ErrorCodes.schemaValidationWarning,
        attribute,
        `unknown attribute ${attribute.name} on <${this.tag}> in ${this.context.table.dialect}; ignored`,
      );
    }
  }

  private take(name: string): XmlAttribute | undefined {
    const attribute = this.byLowerName.get(name.toLowerCase());
    if (attribute === undefined || this.used.has(attribute)) return undefined;
    this.used.add(attribute);
    if (attribute.name !== name && this.context.table.warnOnCase.value) {
      this.context.problems.warning(ErrorCodes.schemaValidationWarning, attribute, `attribute ${attribute.name} on <${this.tag}> should be written ${name}`);
    }
    return attribute;
  }

  private bad(attribute: XmlAttribute, rule: ValueRule, why: string): void {
    const code = rule.code ?? ErrorCodes.schemaValidationWarning;
    const severity: Severity = rule.code === undefined ? 'warning' : 'error';
    const suffix = severity === 'warning' ? '; the default is used' : '';
    this.context.problems.add(code, severity, attribute, `${attribute.name}="${clip(attribute.value)}" on <${this.tag}> ${why}${suffix}`);
  }
}

/** The element's text, trimmed (the seeds put URIs on their own lines). */
export function textOf(element: XmlElement): string {
  let text = '';
  for (const child of element.children) if (child.kind === 'text') text += child.text;
  return text.trim();
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `{ key: value }` when the value is present, `{}` otherwise: optional fields stay absent, never undefined. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
