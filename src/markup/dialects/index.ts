import type { Dialect } from '../types.js';
import { cxmlDialect } from './cxml.js';
import type { DialectTable } from './dialect-table.js';
import { didmlDialect } from './didml.js';
import { rcmlDialect } from './rcml.js';
import { twimlDialect } from './twiml.js';

export { type DialectTable, type Cited, type NounMixing, seeds } from './dialect-table.js';

export const dialectTables: Readonly<Record<Dialect, DialectTable>> = {
  twiml: twimlDialect,
  cxml: cxmlDialect,
  rcml: rcmlDialect,
  didml: didmlDialect,
};
