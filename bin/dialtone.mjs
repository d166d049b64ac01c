#!/usr/bin/env -S node --v8-pool-size=0
// The `dialtone` executable: runs the compiled CLI (built by `npm run build`, which `npm start` runs first).
// The flags on the first line, and in package.json's `start`, are src/cli/engine-node-flags.ts's.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
