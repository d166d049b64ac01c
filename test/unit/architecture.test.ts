/**
 * The layering of ARCHITECTURE.md, checked on every import: a newcomer reads the architecture from the
 * folder names only if the folders keep to it.
 *   main.ts / cli ──> api ──> call ──> { sip, sdp, media, markup, webhook, store } ──> kernel
 * sdp may use media's codec catalogue; config is read by the composition root and by the layers
 * that are handed configuration types (call routing, api).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const srcDir = join(import.meta.dirname, '..', '..', 'src');

/** Which top-level modules each module may import (besides itself). */
const allowed: Record<string, readonly string[]> = {
  kernel: [],
  config: ['kernel'],
  markup: ['kernel'],
  sip: ['kernel'],
  media: ['kernel'],
  store: ['kernel'],
  webhook: ['kernel'],
  sdp: ['kernel', 'media'],
  call: ['kernel', 'config', 'sip', 'sdp', 'media', 'markup', 'webhook', 'store'],
  api: ['kernel', 'config', 'call', 'store', 'webhook', 'markup'],
  cli: ['kernel', 'config', 'main.ts', 'markup', 'sip', 'api', 'call', 'store', 'webhook', 'media', 'sdp'],
  'main.ts': ['kernel', 'config', 'call', 'sip', 'sdp', 'media', 'markup', 'webhook', 'store', 'api'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function moduleOf(path: string): string {
  const top = relative(srcDir, path).split(sep)[0]!;
  // Imports name the compiled file: main.js is main.ts.
  return top === 'main.js' ? 'main.ts' : top;
}

test('imports point down the layers of ARCHITECTURE.md', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = moduleOf(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)) {
      const target = resolve(dirname(file), match[1]!);
      if (!target.startsWith(srcDir)) continue;
      const to = moduleOf(target);
      if (to === from) continue;
      if (!(allowed[from] ?? []).includes(to)) violations.push(`${relative(srcDir, file)} imports ${match[1]} (${from} → ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('other modules are reached through their index.ts', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = moduleOf(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)) {
      const target = resolve(dirname(file), match[1]!);
      const to = moduleOf(target);
      if (!target.startsWith(srcDir) || to === from || to === 'main.ts') continue;
      const inside = relative(join(srcDir, to), target).split(sep);
      // src/<module>/index.js, or src/<module>/<sub>/index.js for the sub-modules of sip and media.
      const throughIndex = inside.at(-1) === 'index.js' && inside.length <= 2;
      if (!throughIndex) violations.push(`${relative(srcDir, file)} reaches into ${match[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});
