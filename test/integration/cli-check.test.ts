/** `dialtone check` as INTERFACE.md fixes it: normalised document or `LINE:COL CODE message`, exit 1 only on an error. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main, type CommandIo } from '../../src/cli/main.js';

interface Captured {
  io: CommandIo;
  out: () => string;
  err: () => string;
}

function capture(stdin = ''): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      readStdin: async () => stdin,
    },
    out: () => out,
    err: () => err,
  };
}

const didmlSeed = `<?xml version="1.0" encoding="UTF-8"?> 
<Response>
     <dial>
         <sip>sip.example.com</Say>
     </dial>
 </Response>`;

describe('dialtone check', () => {
  let dir = '';
  const file = (name: string): string => join(dir, name);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dialtone-check-'));
    await writeFile(file('good.xml'), '<Response><Dial timeout="10"><Sip>sip:kate@example.com;transport=tcp</Sip></Dial></Response>');
    await writeFile(file('warn.xml'), '<Response>\n  <dial><Sip>sip:kate@example.com</Sip></dial>\n</Response>');
    await writeFile(file('bad.xml'), '<Response>\n  <Dial callerId="bob smith"><Sip>sip:kate@example.com</Sip></Dial>\n</Response>');
    await writeFile(file('didml.xml'), didmlSeed);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the normalised document and exits 0', async () => {
    const run = capture();
    assert.equal(await main(['check', file('good.xml')], run.io), 0);
    assert.equal(run.err(), '');
    assert.match(run.out(), /<Dial method="POST" timeout="10" /);
    assert.match(run.out(), /<Sip method="POST" statusCallbackMethod="POST"[^>]*>sip:kate@example.com;transport=tcp<\/Sip>/);
  });

  it('prints warnings as LINE:COL CODE message and still exits 0', async () => {
    const run = capture();
    assert.equal(await main(['check', file('warn.xml')], run.io), 0);
    assert.equal(run.err(), '2:3 12200 warning: <dial> should be written <Dial> in twiml\n');
    assert.match(run.out(), /<Dial /);
  });

  it('prints errors, no document, and exits 1', async () => {
    const run = capture();
    assert.equal(await main(['check', file('bad.xml')], run.io), 1);
    assert.equal(run.err(), "2:9 13214 error: callerId 'bob smith' may not contain whitespace\n");
    assert.equal(run.out(), '');
  });

  it('--dialect decides: the didML seed is repaired in didml and refused in twiml', async () => {
    const didml = capture();
    assert.equal(await main(['check', file('didml.xml'), '--dialect', 'didml'], didml.io), 0);
    assert.equal(didml.err(), '4:30 12100 warning: </Say> does not close <sip>; read as </sip>\n');
    assert.match(didml.out(), /<sip>sip.example.com<\/sip>/);
    const twiml = capture();
    assert.equal(await main(['check', file('didml.xml')], twiml.io), 1);
    assert.equal(twiml.err(), '4:30 12100 error: malformed XML: found </Say>, expected </sip>\n');
  });

  it('--json prints the model and the problems as JSON', async () => {
    const run = capture();
    assert.equal(await main(['check', file('warn.xml'), '--json'], run.io), 0);
    const printed = JSON.parse(run.out()) as { dialect: string; document: { verbs: { verb: string }[] }; problems: { code: number }[] };
    assert.equal(printed.dialect, 'twiml');
    assert.equal(printed.document.verbs[0]?.verb, 'dial');
    assert.deepEqual(printed.problems.map((problem) => problem.code), [12200]);
    const bad = capture();
    assert.equal(await main(['check', '--json', file('bad.xml')], bad.io), 1);
    assert.equal((JSON.parse(bad.out()) as { document: unknown }).document, null);
  });

  it('- reads standard input', async () => {
    const run = capture('<Response><Hangup/></Response>');
    assert.equal(await main(['check', '-', '--dialect=cxml'], run.io), 0);
    assert.match(run.out(), /<Hangup\/>/);
  });

  it('usage mistakes exit 2', async () => {
    for (const args of [['check'], ['check', file('good.xml'), '--dialect', 'voicexml'], ['check', file('good.xml'), '--strict'], ['check', file('missing.xml')]]) {
      const run = capture();
      assert.equal(await main(args, run.io), 2, args.join(' '));
      assert.match(run.err(), /dialtone check/);
    }
  });

  it('the real process reads stdin and sets its exit code', async () => {
    const script = "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";
    const result = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'check', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill(), 20_000);
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
      child.stdin.end('<Response>\n<Dial timeout="0"><Sip>sip:a@example.com</Sip></Dial>\n</Response>');
    });
    assert.equal(result.code, 1);
    assert.equal(result.out, '');
    assert.equal(result.err, '2:7 13212 error: timeout="0" on <Dial> must be a whole number from 1 to 600\n');
  });
});
