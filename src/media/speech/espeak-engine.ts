/**
 * Where eSpeak NG runs. The `espeak-ng` package (GPL-3.0) stays behind this interface and is loaded
 * only by dynamic import, on the first `<Say>`: nothing else in Dialtone links to it.
 *
 * Each synthesis instantiates the WASM module afresh (the build runs its command line once and
 * exits), about 200–300 ms of CPU per sentence, which would stall every call's 20 ms RTP pacing if it
 * ran on the main thread. WorkerEspeakEngine therefore runs it on a worker thread; InProcessEspeakEngine
 * runs it on the calling thread (for tools and tests that have no pacing to protect).
 */
import { Worker } from 'node:worker_threads';
import { DialtoneError, ErrorCodes, nameThreadStatement, ThreadNames } from '../../kernel/index.js';

export interface EspeakEngine {
  /** Speaks `text` with the eSpeak voice `voice` ("en-us+f3"), returning the 22 050 Hz WAV it wrote. */
  synthesize(voice: string, text: string, wordsPerMinute: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

function synthesisError(message: string, details: Record<string, unknown> = {}, cause?: unknown): DialtoneError {
  return new DialtoneError(ErrorCodes.speechSynthesisFailed, `Say: ${message}`, details, cause === undefined ? undefined : { cause });
}

/** The text goes in as a file (-f), not as an argument: text starting with "-" would be an option. */
const INPUT_FILE = 'input.txt';
const OUTPUT_FILE = 'speech.wav';

/** The espeak-ng command line for one synthesis (-b 1: the input file is UTF-8). */
function espeakArguments(voice: string, wordsPerMinute: number): string[] {
  return ['-b', '1', '-s', String(wordsPerMinute), '-v', voice, '-w', OUTPUT_FILE, '-f', INPUT_FILE];
}

/** Runs eSpeak NG on the calling thread. */
export class InProcessEspeakEngine implements EspeakEngine {
  async synthesize(voice: string, text: string, wordsPerMinute: number): Promise<Uint8Array> {
    const { default: ESpeakNg } = await import('espeak-ng');
    const errors: string[] = [];
    // Emscripten's exit() sets process.exitCode in Node: a failed synthesis must not decide ours.
    const exitCode = process.exitCode;
    try {
      const module = await ESpeakNg({
        arguments: espeakArguments(voice, wordsPerMinute),
        print: () => {},
        printErr: (line) => errors.push(line),
        preRun: [(instance) => instance.FS.writeFile(INPUT_FILE, text)],
      });
      return module.FS.readFile(OUTPUT_FILE);
    } catch (error) {
      throw synthesisError(`eSpeak NG wrote no audio for voice ${voice}`, { voice, errors }, error);
    } finally {
      process.exitCode = exitCode;
    }
  }

  async close(): Promise<void> {}
}

/**
 * The worker's program, kept as plain JavaScript evaluated by the Worker: a separate .ts entry file
 * would not run under the TypeScript test loader on Node 20 (workers do not inherit its hooks), and
 * tsc does not copy a .js one into dist. It only runs the command line it is given, one at a time.
 */
const workerSource = `
${nameThreadStatement(ThreadNames.speech)}
const { parentPort, workerData } = require('node:worker_threads');
let queue = Promise.resolve();
parentPort.on('message', ({ id, args, text }) => {
  queue = queue.then(async () => {
    const errors = [];
    try {
      const { default: ESpeakNg } = await import(workerData.moduleUrl);
      const instance = await ESpeakNg({
        arguments: args,
        print: () => {},
        printErr: (line) => errors.push(line),
        preRun: [(module) => module.FS.writeFile(${JSON.stringify(INPUT_FILE)}, text)],
      });
      parentPort.postMessage({ id, wav: instance.FS.readFile(${JSON.stringify(OUTPUT_FILE)}) });
    } catch (error) {
      parentPort.postMessage({ id, error: String((error && error.message) || error), errors });
    }
  });
});
`;

type WorkerReply = { id: number; wav: Uint8Array } | { id: number; error: string; errors: string[] };

interface Waiting {
  voice: string;
  resolve: (wav: Uint8Array) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs eSpeak NG on one worker thread, started on first use. Requests are answered in order; a worker
 * that dies fails what it held and is restarted by the next request.
 */
export class WorkerEspeakEngine implements EspeakEngine {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;

  synthesize(voice: string, text: string, wordsPerMinute: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(synthesisError('the speech engine is closed'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    // Referenced only while it has work: a pending <Say> keeps the process alive, an idle worker not.
    if (this.waiting.size === 0) worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(id, { voice, resolve, reject });
      worker.postMessage({ id, args: espeakArguments(voice, wordsPerMinute), text });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(synthesisError('the speech engine was closed'));
    if (worker !== undefined) await worker.terminate();
  }

  private start(): Worker {
    // Resolved here, where the package is a dependency, so the worker needs no module resolution.
    const moduleUrl = import.meta.resolve('espeak-ng');
    const worker = new Worker(workerSource, { eval: true, workerData: { moduleUrl } });
    worker.on('message', (reply: WorkerReply) => {
      const waiting = this.waiting.get(reply.id);
      if (waiting === undefined) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if ('wav' in reply) waiting.resolve(reply.wav);
      else waiting.reject(synthesisError(`eSpeak NG wrote no audio for voice ${waiting.voice}`, { voice: waiting.voice, errors: reply.errors }));
    });
    const fail = (error: unknown) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(synthesisError('the speech worker stopped', {}, error));
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failAll(error: DialtoneError): void {
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}
