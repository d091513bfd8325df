#!/usr/bin/env node
// Child process entry for module stages: TypeScript via tsx, then the worker loop.
import { register } from 'tsx/esm/api';

register();
await import('../src/runner/worker.ts');
