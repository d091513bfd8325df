#!/usr/bin/env node
// Child process entry for module stages: TypeScript via tsx (plus the `mlc-pipe` self-resolution
// for user stages), then the worker loop.
import { register } from 'tsx/esm/api';

register();
globalThis[Symbol.for('mlc-pipe.tsx-registered')] = true;
const { ensureSelfResolve } = await import('../src/stage/tsx.ts');
await ensureSelfResolve();
await import('../src/runner/worker.ts');
