/**
 * Node flags for the engine's process, which only take effect when Node starts: the launchers
 * (package.json's `start` script, bin/dialtone.mjs's `#!` line) and the benchmarks pass them.
 *
 * `--v8-pool-size=0` sizes V8's pool of helper threads to the machine: one fewer than its cores, at
 * least one, where Node's default is four whatever the machine. On 2 cores, four helpers scavenging
 * and marking beside the engine took the core its main thread needed while a call was being set up:
 * the engine-added post-dial delay's 99th percentile at 100 calls/s had a median of 25.9 ms with four
 * helpers and 8.5 ms with one, over nine runs of each (docs/performance.md, stop 22).
 */
export const engineNodeFlags: readonly string[] = ['--v8-pool-size=0'];

/**
 * Those of engineNodeFlags this process was started without, whether on the command line or in
 * NODE_OPTIONS (a `--v8-pool-size` of any value counts: it was chosen on purpose).
 */
export function missingEngineNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map((flag) => flag.split('=')[0]);
  return engineNodeFlags.filter((flag) => !given.includes(flag.split('=')[0]));
}
