/**
 * `dialtone` command dispatcher (see INTERFACE.md "Commands"). Each command lives in its own module and
 * returns the process exit code; nothing here calls process.exit, so the composition stays testable.
 */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

export type Command = (args: string[], io: CommandIo) => Promise<number>;

const usage = `usage: dialtone <command> [options]

commands:
  start [--config FILE] [--voice-url URL] [--sip-port N] [--http-port N] [--data DIR]
  check FILE [--dialect twiml|cxml|rcml|didml] [--json]
  demo
  bench [...]
`;

async function loadCommand(name: string): Promise<Command | undefined> {
  switch (name) {
    case 'check':
      return (await import('./check.js')).checkCommand;
    case 'start':
      return (await import('./start.js')).startCommand;
    case 'demo':
      return (await import('./demo.js')).demoCommand;
    case 'bench':
      return (await import('./bench.js')).benchCommand;
    default:
      return undefined;
  }
}

export const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage);
    return name === undefined ? 2 : 0;
  }
  const command = await loadCommand(name);
  if (command === undefined) {
    io.stderr(`dialtone: unknown command '${name}'\n${usage}`);
    return 2;
  }
  return command(rest, io);
}
