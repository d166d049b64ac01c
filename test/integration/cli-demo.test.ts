/**
 * `dialtone demo` through the built executable (INTERFACE.md "Commands", issue 6): with no other
 * software it runs a parallel <Dial> with screening and a recording, exits 0 by itself, and its account
 * shows the INVITEs of both legs, the 200 OKs, the webhook paths, the `completed` callbacks and a
 * recording file that exists.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

const bin = join(import.meta.dirname, '../../bin/dialtone.mjs');

test('dialtone demo runs a screened, recorded parallel <Dial> and prints its account', { timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [bin, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const dataDir = /The data folder (\S+) is kept/.exec(out)?.[1];
  try {
    assert.equal(code, 0, `exit ${code}\nstdout:\n${out}\nstderr:\n${err}`);
    // The SIP ladder: the caller's INVITE to the engine, the engine's INVITEs to alice and bob, the answers.
    assert.match(out, /caller --INVITE sip:\+15550100@127\.0\.0\.1:\d+--> engine/);
    assert.match(out, /engine --INVITE sip:alice@127\.0\.0\.1:\d+--> alice/);
    assert.match(out, /engine --INVITE sip:bob@127\.0\.0\.1:\d+--> bob/);
    assert.match(out, /caller <--200 OK-- engine/);
    assert.match(out, /engine <--200 OK-- alice/);
    assert.match(out, /engine --CANCEL sip:bob@/);
    assert.match(out, /caller --BYE /);
    // Each webhook with its answer, the screening's digit, the Dial action's outcome.
    for (const path of ['/voice', '/screen', '/accept', '/after']) assert.match(out, new RegExp(`POST ${path}\\b`));
    assert.match(out, /Digits=1/);
    assert.match(out, /DialCallStatus=completed/);
    assert.match(out, /DialBridged=true/);
    // Status callbacks with their sequence numbers; the recording callback.
    assert.match(out, /\/dial-status\s+\(alice's leg\)\s+completed\s+SequenceNumber=3/);
    assert.match(out, /\/dial-status\s+\(bob's leg\)\s+canceled/);
    assert.match(out, /\/status\s+\(caller's call\)\s+completed/);
    assert.match(out, /RecordingStatus=completed/);
    const file = /file: (\S+\.wav)/.exec(out)?.[1];
    assert.ok(file !== undefined, out);
    assert.ok(existsSync(file), `${file} does not exist`);
    assert.doesNotMatch(out, /^Problems$/m);
  } finally {
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  }
});
