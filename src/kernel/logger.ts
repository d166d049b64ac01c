/** Structured logging interface; the composition root decides where lines go. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines on a writable stream, filtered by level. */
export function createJsonLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
  bound: Record<string, unknown> = {},
): Logger {
  return new JsonLogger({ minimumRank: levelRank[level], write }, bound);
}

interface LogSink {
  minimumRank: number;
  write(line: string): void;
}

/**
 * Methods on the prototype, not closures per instance: the engine makes several child loggers per call
 * (dial, attempt, leg), and each lives as long as the call; a child is one small object and its fields.
 */
class JsonLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly bound: Record<string, unknown>,
  ) {}

  debug(message: string, fields?: Record<string, unknown>): void {
    this.emit('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.emit('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.emit('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.emit('error', message, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.sink, { ...this.bound, ...fields });
  }

  private emit(at: LogLevel, message: string, fields: Record<string, unknown> | undefined): void {
    if (levelRank[at] < this.sink.minimumRank) return;
    this.sink.write(JSON.stringify({ time: new Date().toISOString(), level: at, message, ...this.bound, ...fields }) + '\n');
  }
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
