/**
 * The names the engine's worker threads give themselves, as `top -H`, `ps -L`, `pidstat -t` and the
 * benchmarks show them: Node leaves every thread named after the process, so without these an
 * operator cannot tell the I/O thread that carries SIP and RTP from the one that commits to SQLite.
 * Linux allows 15 bytes.
 */
export const ThreadNames = {
  io: 'dialtone-io',
  sqlite: 'dialtone-sqlite',
  speech: 'dialtone-speech',
} as const;

export type ThreadName = (typeof ThreadNames)[keyof typeof ThreadNames];

/**
 * A statement for the top of a worker's evaluated source that names the thread it runs on (Linux:
 * /proc/thread-self/comm). Best effort: on other systems, or where /proc is not writable, the thread
 * keeps the name it had, and nothing else depends on it.
 */
export function nameThreadStatement(name: ThreadName): string {
  return `try { require('node:fs').writeFileSync('/proc/thread-self/comm', ${JSON.stringify(name)}); } catch {}`;
}
