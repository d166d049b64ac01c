/**
 * `dialtone demo`: runs a whole call on this machine with no other software (INTERFACE.md
 * "Commands") and prints what happened. Exits 0 when the call went as planned, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { createJsonLogger } from '../kernel/index.js';
import { formatDemoReport } from './demo/format-report.js';
import { runDemo } from './demo/run-demo.js';
import type { Command } from './main.js';

export const demoCommand: Command = async (args, io) => {
  let values: { data?: string | undefined; verbose?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args, options: { data: { type: 'string' }, verbose: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    io.stderr(`dialtone demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  io.stdout('Starting the engine, a sample webhook app and three built-in SIP phones on 127.0.0.1…\n');
  try {
    const result = await runDemo({
      ...(values.data === undefined ? {} : { dataDir: values.data }),
      ...(values.verbose === true ? { logger: createJsonLogger('info', io.stderr) } : {}),
      progress: (line) => io.stdout(`  · ${line}\n`),
    });
    io.stdout(`\n${formatDemoReport(result)}`);
    return result.problems.length === 0 ? 0 : 1;
  } catch (error) {
    io.stderr(`dialtone demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
};
