#!/usr/bin/env node
// Child process entry of LocalProcessExecutor: TypeScript via tsx (plus the `mlc-pipe`
// self-resolution for user stages), then one job through the stage host. This entry is where the
// transport and the engine meet: the runner never imports the engine, so the release is passed in.
import { register } from 'tsx/esm/api';

register();
globalThis[Symbol.for('mlc-pipe.tsx-registered')] = true;
const { ensureSelfResolve } = await import('../src/stage/tsx.ts');
await ensureSelfResolve();
const { serveOneJob } = await import('../src/runner/executors/local/worker.ts');
const { releaseEngineIfLoaded } = await import('../src/engine/start/release.ts');
serveOneJob({ beforeExit: releaseEngineIfLoaded });
