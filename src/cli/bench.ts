/**
 * `dialtone bench [--quick] [--json FILE] [SUITE…]`: runs the benchmark suites in bench/ and prints each
 * suite's table, then one JSON summary line (figures by suite) for tooling.
 */
import { writeFile } from 'node:fs/promises';
import { suites } from '../../bench/index.js';
import type { BenchFigures } from '../../bench/suite.js';
import type { Command } from './main.js';

export const benchCommand: Command = async (args, io) => {
  const quick = args.includes('--quick');
  const jsonIndex = args.indexOf('--json');
  const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
  const names = args.filter((arg, index) => !arg.startsWith('--') && (jsonIndex < 0 || index !== jsonIndex + 1));
  const unknown = names.filter((name) => !suites.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    io.stderr(`dialtone bench: unknown suite ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const selected = names.length === 0 ? suites : suites.filter((suite) => names.includes(suite.name));
  const summary: Record<string, BenchFigures> = {};
  for (const suite of selected) {
    io.stdout(`\n== ${suite.name}: ${suite.description}\n`);
    summary[suite.name] = await suite.run({ quick, log: (line) => io.stdout(`${line}\n`) });
  }
  const json = JSON.stringify({ quick, node: process.version, suites: summary });
  io.stdout(`\nsummary ${json}\n`);
  if (jsonFile !== undefined) await writeFile(jsonFile, json + '\n');
  return 0;
};
