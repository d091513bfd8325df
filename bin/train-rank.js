#!/usr/bin/env node
// One rank process of a data-parallel train stage (src/train/distributed/launch.ts forks it):
// TypeScript via tsx, then the rank's c10d process group and its training (rank-main.ts).
import { register } from 'tsx/esm/api';

register();
globalThis[Symbol.for('mlc-pipe.tsx-registered')] = true;
const { serveRank } = await import('../src/train/distributed/rank-main.ts');
await serveRank();
