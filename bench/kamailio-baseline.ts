/**
 * The C signalling ceiling measured in the same run as our e2e figures: SIPp → Kamailio (stateful,
 * record-routing proxy) → SIPp, through ../shared/peers/kamailio-proxy-cps.sh with shorter steps.
 * Its result is the highest rate it held with 0 failed calls; absent when Kamailio or SIPp is not
 * installed or the search did not finish in its time bound.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peersDir } from './shared-dir.js';

export interface KamailioBaseline {
  maxCleanCps: number;
  /** The script's line for the confirmed step (rate, CPU of each process). */
  confirmedStep: string;
  resultsDir: string;
}

function installed(command: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => existsSync(join(dir, command)));
}

export async function measureKamailioProxy(options: { quick: boolean; log: (line: string) => void }): Promise<KamailioBaseline | undefined> {
  const script = join(peersDir, 'kamailio-proxy-cps.sh');
  if (!existsSync(script) || !installed('kamailio') || !installed('sipp')) {
    options.log('kamailio baseline: skipped (kamailio, sipp or ../shared/peers missing)');
    return undefined;
  }
  const resultsDir = mkdtempSync(join(tmpdir(), 'dialtone-bench-kamailio-'));
  // Shorter steps than the script's defaults (10 s steps, 30 s confirmation): the whole search stays
  // within a few minutes; --quick is a smoke test of the plumbing only.
  const env = {
    ...process.env,
    STEP_S: options.quick ? '2' : '5',
    CONFIRM_S: options.quick ? '3' : '15',
    START_CPS: options.quick ? '100' : '400',
    MAX_CPS: options.quick ? '400' : '30000',
  };
  const timeLimitMs = options.quick ? 120_000 : 900_000;
  const child = spawn('bash', [script, resultsDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (/PASS|FAIL|confirm/.test(line)) options.log(`  kamailio ${line.trim()}`);
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), timeLimitMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const match = /kamailio-proxy-cps: MAX_CLEAN_CPS=(\d+)\s+\[([^\]]*)\]/.exec(stdout);
  if (code !== 0 || match === null) {
    options.log(`kamailio baseline: no result (exit ${code}); see ${resultsDir}`);
    return undefined;
  }
  return { maxCleanCps: Number(match[1]), confirmedStep: match[2]!, resultsDir };
}
