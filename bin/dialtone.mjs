#!/usr/bin/env node
// The `dialtone` executable: runs the compiled CLI (built by `npm run build`, which `npm start` runs first).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
