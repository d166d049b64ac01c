/**
 * `dialtone check FILE [--dialect twiml|cxml|rcml|didml] [--json]` (INTERFACE.md "Commands"): parses and
 * validates a markup document without running it. The normalised document goes to stdout (as JSON with
 * --json, together with the problems); problems go to stderr as `LINE:COL CODE severity: message`.
 * Exit 1 when any problem is an error, 0 otherwise (warnings do not fail); 2 for a usage mistake.
 */
import { readFile } from 'node:fs/promises';
import { dialectNames, formatDocument, parseDocument, type Dialect, type Problem } from '../markup/index.js';
import type { Command, CommandIo } from './main.js';

const usage = 'usage: dialtone check FILE [--dialect twiml|cxml|rcml|didml] [--json]   (FILE "-" reads standard input)\n';

interface CheckArgs {
  file: string;
  dialect: Dialect;
  json: boolean;
}

export const checkCommand: Command = async (args, io) => {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.stderr(`dialtone check: ${parsed}\n${usage}`);
    return 2;
  }
  let text: string;
  try {
    text = parsed.file === '-' ? await io.readStdin() : await readFile(parsed.file, 'utf8');
  } catch (error) {
    io.stderr(`dialtone check: cannot read ${parsed.file}: ${(error as Error).message}\n`);
    return 2;
  }
  const result = parseDocument(text, { dialect: parsed.dialect });
  const failed = result.problems.some((problem) => problem.severity === 'error');
  if (parsed.json) {
    io.stdout(JSON.stringify({ dialect: parsed.dialect, document: result.document ?? null, problems: result.problems }, null, 2) + '\n');
  } else {
    printProblems(result.problems, io);
    if (result.document !== undefined) io.stdout(formatDocument(result.document));
  }
  return failed ? 1 : 0;
};

function printProblems(problems: readonly Problem[], io: CommandIo): void {
  for (const problem of problems) {
    io.stderr(`${problem.line}:${problem.column} ${problem.code} ${problem.severity}: ${problem.message}\n`);
  }
}

function parseArgs(args: string[]): CheckArgs | string {
  let file: string | undefined;
  let dialect: Dialect = 'twiml';
  let json = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '--json') {
      json = true;
    } else if (arg === '--dialect' || arg.startsWith('--dialect=')) {
      const value = arg === '--dialect' ? args[++i] : arg.slice('--dialect='.length);
      const found = dialectNames.find((name) => name === value);
      if (found === undefined) return `--dialect must be one of ${dialectNames.join(', ')}, not '${value ?? ''}'`;
      dialect = found;
    } else if (arg.startsWith('--')) {
      return `unknown option ${arg}`;
    } else if (file === undefined) {
      file = arg;
    } else {
      return `only one FILE is checked (got ${file} and ${arg})`;
    }
  }
  if (file === undefined) return 'missing FILE';
  return { file, dialect, json };
}
