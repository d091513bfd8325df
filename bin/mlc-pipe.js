#!/usr/bin/env node
// mlc-pipe runs from source: register tsx so .ts modules (ours and the user's stages) load directly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
