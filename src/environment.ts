/**
 * Every environment variable mlc-pipe reads or sets, declared once: name, owner, meaning, default,
 * and whether it changes numerics. Code in src/ and stages/ reads them only through this module
 * (`readEnv`, `readEnvPositiveInt`); the stages that run the engine list the numerics-changing
 * ones in their `environment` (`NUMERICS_ENVIRONMENT`), so their values join the cache key; the
 * table in docs/cli.md is generated from this list (`environmentTable`, `npx tsx
 * scripts/gen-env-docs.ts`). The plain .mjs/.js build scripts and the C++ addon cannot import it:
 * their variables are listed here all the same, and test/environment.test.ts scans those files
 * too, failing on any variable read that is not listed.
 *
 * Shared by orchestration and ML, like src/errors.ts; imports nothing.
 */

export interface EnvVariable {
  /** The variable's name; a name ending in `<NAME>` stands for a family (`MLC_PARAM_<NAME>`). */
  readonly name: string;
  /** The file that reads (or, for `set`, sets) it. */
  readonly owner: string;
  /** What it does, one sentence. */
  readonly meaning: string;
  /** What happens when it is unset. */
  readonly default: string;
  /**
   * Whether its value changes what a stage computes: such a variable is in the `environment` of
   * the stages that run the engine, so setting it reruns them.
   */
  readonly numerics: boolean;
  /** `read` (mlc-pipe reads it) or `set` (mlc-pipe sets it for the commands it starts). Defaults to read. */
  readonly direction?: 'read' | 'set';
}

export const ENVIRONMENT = [
  // The engine (src/engine): kernel choice and which engine can start change numerics.
  {
    name: 'MLC_PIPE_THREADS',
    owner: 'src/engine/start/threads.ts',
    meaning:
      'Intra-op threads of the native engine, and the CPU slots a model stage reserves, when its `threads` param is 0.',
    default: "the stage's CPU slots (resources.cpu, at most --jobs), else every core",
    numerics: false,
  },
  {
    name: 'MLC_PIPE_NATIVE',
    owner: 'src/engine/native/addon.ts',
    meaning: '`off` hides the native (libtorch) engine: `engine: auto` falls back to the next one.',
    default: 'the native engine is used when its addon is built',
    numerics: true,
  },
  {
    name: 'MLC_PIPE_DEVICE',
    owner: 'src/engine/start/backends/native.ts',
    meaning: 'Device of the native engine: `cpu` or `cuda`.',
    default: 'cuda when the libtorch build has it, else cpu',
    numerics: true,
  },
  {
    name: 'MLC_PIPE_LIBTORCH',
    owner: 'native/build.mjs',
    meaning: 'Folder of the libtorch the native addon is built against (e.g. a CUDA build from a PyTorch wheel).',
    default: "Debian's libtorch-dev",
    numerics: true,
  },
  {
    name: 'MLC_PIPE_WINOGRAD',
    owner: 'src/engine/wasm/winograd.ts',
    meaning: 'wasm: `off` = no Winograd for 3×3 stride-1 convs; `force` = Winograd wherever it applies.',
    default: 'chosen per layer from measured costs',
    numerics: true,
  },
  {
    name: 'MLC_PIPE_WINOGRAD_TILE',
    owner: 'src/engine/wasm/winograd.ts',
    meaning: 'wasm: fix the Winograd output tile F(m×m, 3×3) to `2`, `4` or `6`.',
    default: 'chosen per layer',
    numerics: true,
  },
  {
    name: 'MLC_PIPE_WINOGRAD_GEMM',
    owner: 'src/engine/wasm/winograd.ts',
    meaning:
      'wasm: fix the Winograd GEMM orientation, `vu` (V·U, packs the transformed filter) or `uv` (Uᵀ·Vᵀ, packs the transformed input).',
    default: 'chosen per layer',
    numerics: true,
  },
  {
    name: 'MLC_PIPE_CONV_GRAD',
    owner: 'src/engine/wasm/grad-method.ts',
    meaning: 'wasm: force one conv-gradient formulation where it applies: `conv`, `matmul` or `winograd`.',
    default: 'chosen per layer',
    numerics: true,
  },
  {
    name: 'MLC_PIPE_NATIVE_MALLOC',
    owner: 'native/src/addon.cc',
    meaning:
      "`default` keeps glibc's malloc settings instead of the addon's (large blocks kept on the heap; faster training).",
    default: 'the addon tunes malloc',
    numerics: false,
  },
  // Building and installing.
  {
    name: 'MLC_PIPE_NATIVE_BUILD',
    owner: 'native/build.mjs',
    meaning:
      '`skip` = do not build the native addon at install; `strict` = rebuild it and fail when the build fails (`npm run build:native` sets it).',
    default: 'build at install when out of date; a failed build only warns',
    numerics: false,
  },
  {
    name: 'MLC_PIPE_NATIVE_JOBS',
    owner: 'native/build.mjs',
    meaning: 'Parallel compile jobs of the native build.',
    default: 'max',
    numerics: false,
  },
  {
    name: 'MLC_PIPE_LIBTORCH_CXX11_ABI',
    owner: 'native/build.mjs',
    meaning: '`0` for a libtorch built with the old C++ ABI (with MLC_PIPE_LIBTORCH).',
    default: '1',
    numerics: false,
  },
  {
    name: 'MLC_PIPE_NCCL_INCLUDE',
    owner: 'native/cuda.mjs',
    meaning:
      'Folder with nccl.h, for building the addon with NCCL against a CUDA libtorch (MLC_PIPE_LIBTORCH); data-parallel collectives on CUDA tensors then use NCCL.',
    default: "the PyTorch wheel's site-packages/nvidia/nccl/include, /usr/local/cuda/include, /usr/include",
    numerics: false,
  },
  {
    name: 'MLC_PIPE_CUDA_INCLUDE',
    owner: 'native/cuda.mjs',
    meaning: 'Folder with cuda_runtime_api.h, for the NCCL build (with MLC_PIPE_NCCL_INCLUDE).',
    default: "the PyTorch wheel's site-packages/nvidia/cuda_runtime/include, /usr/local/cuda/include, /usr/include",
    numerics: false,
  },
  {
    name: 'MLC_PIPE_KEEP_ALL_BINARIES',
    owner: 'scripts/prune-platform-binaries.mjs',
    meaning: '`1` keeps the prebuilt binaries of other platforms that postinstall otherwise deletes.',
    default: 'other platforms’ binaries are deleted',
    numerics: false,
  },
  {
    name: 'npm_execpath',
    owner: 'native/build.mjs',
    meaning: "Set by npm: where npm's node-gyp is found.",
    default: '/usr/lib/node_modules/npm',
    numerics: false,
  },
  {
    name: 'npm_config_nodedir',
    owner: 'native/build.mjs',
    meaning: 'Node headers for the native build (npm config `nodedir`).',
    default: '/usr when /usr/include/node has them, else node-gyp downloads them',
    numerics: false,
  },
  {
    name: 'LD_LIBRARY_PATH',
    owner: 'src/engine/start/backends/webgpu.ts',
    meaning: 'Where the webgpu engine also looks for the Vulkan loader.',
    default: 'the system library folders',
    numerics: false,
  },
  {
    name: 'DNNL_VERBOSE',
    owner: 'bench/engine/precision.ts',
    meaning:
      "oneDNN's own switch: `1` prints each primitive it runs (implementation, data types); `bench/engine/precision.ts --isa` sets it for its child to list which conv/matmul kernels ran in bf16 or fp32.",
    default: 'unset: silent',
    numerics: false,
    direction: 'set',
  },
  {
    name: 'DAWN_FLAGS',
    owner: 'src/engine/start/backends/webgpu.ts',
    meaning: 'Comma-separated Dawn toggles for the webgpu engine.',
    default: 'none',
    numerics: false,
  },
  // The CLI and the runner.
  {
    name: 'MLC_PIPE_FROM_SOURCE',
    owner: 'bin/mlc-pipe.js',
    meaning: 'Set: load the CLI from its TypeScript sources through tsx instead of the esbuild bundle.',
    default: 'the bundle in node_modules/.cache/mlc-pipe',
    numerics: false,
  },
  {
    name: 'MLC_PIPE_IMPORT_TIMEOUT_S',
    owner: 'src/pipeline/stage-module.ts',
    meaning: 'Seconds a stage module may take to import when a pipeline is loaded.',
    default: '60',
    numerics: false,
  },
  {
    name: 'CI',
    owner: 'src/cli/io.ts',
    meaning: 'Set: plain line output instead of the task view.',
    default: 'the task view on a terminal',
    numerics: false,
  },
  {
    name: 'MLC_REDIS_URL',
    owner: 'src/runner/executors/settings.ts',
    meaning: 'Redis of the bullmq executor (after --redis, before the pipeline’s `redis:`).',
    default: 'the pipeline’s `redis:`',
    numerics: false,
  },
  {
    name: 'MLC_QUEUE',
    owner: 'src/runner/executors/settings.ts',
    meaning: 'Queue name prefix shared with the workers (after --queue, before `queue:`).',
    default: '`queue:`, else mlc-pipe',
    numerics: false,
  },
  {
    name: 'MLC_DIST_HOST',
    owner: 'src/runner/executors/bullmq/gang-address.ts',
    meaning:
      'A worker’s address as the other workers reach it, for data-parallel gangs: rank 0’s c10d TCPStore is published at it and each rank’s Gloo binds it (after the worker’s --address).',
    default: 'the first non-loopback IPv4 address of the machine, else 127.0.0.1',
    numerics: false,
  },
  {
    name: 'MLC_DIST_PORT',
    owner: 'src/runner/executors/bullmq/gang-address.ts',
    meaning: 'Port of the c10d TCPStore a worker serves when it runs rank 0 of a gang (open it in the firewall).',
    default: 'a free port the OS picks',
    numerics: false,
  },
  {
    name: 'MLC_STORE',
    owner: 'src/runner/executors/settings.ts',
    meaning: 'The shared store folder (after --store, before `store:`); also push/pull’s remote.',
    default: 'the pipeline’s `store:`',
    numerics: false,
  },
  // Set for cmd stages (their values are params, already in the key).
  {
    name: 'MLC_STAGE_ID',
    owner: 'src/host/cmd-stage.ts',
    meaning: 'The stage id, set for a cmd stage and for every stage worker process.',
    default: '-',
    numerics: false,
    direction: 'set',
  },
  {
    name: 'MLC_PARAMS',
    owner: 'src/host/cmd-stage.ts',
    meaning: "A cmd stage's params as JSON.",
    default: '-',
    numerics: false,
    direction: 'set',
  },
  {
    name: 'MLC_PARAM_<NAME>',
    owner: 'src/host/cmd-stage.ts',
    meaning: 'One per param of a cmd stage (name upper-cased), its value as text (JSON for objects).',
    default: '-',
    numerics: false,
    direction: 'set',
  },
  // Tests.
  {
    name: 'MLC_PIPE_REQUIRE_NATIVE',
    owner: 'test/engine/native/optim-memory.test.ts',
    meaning: 'Tests: `1` fails the native tests when the addon is missing instead of skipping them.',
    default: 'skip without the addon',
    numerics: false,
  },
] as const satisfies readonly EnvVariable[];

/** A variable mlc-pipe reads by name. */
export type EnvName = Exclude<(typeof ENVIRONMENT)[number]['name'], `${string}<NAME>`>;

/** The variables that change numerics, in list order: the `environment` of the stages that run the engine. */
export const NUMERICS_ENVIRONMENT: readonly EnvName[] = ENVIRONMENT.filter((v) => v.numerics).map(
  (v) => v.name as EnvName,
);

/** Whether `name` is declared here (a family such as `MLC_PARAM_<NAME>` covers `MLC_PARAM_X`). */
export function isDeclaredVariable(name: string): boolean {
  return ENVIRONMENT.some((v) =>
    v.name.endsWith('<NAME>') ? name.startsWith(v.name.slice(0, -'<NAME>'.length)) : v.name === name,
  );
}

/** The value of a declared variable, as set (undefined when unset). */
export function readEnv(name: EnvName): string | undefined {
  return process.env[name];
}

/** A declared variable as a positive integer; undefined when unset, empty or not a positive integer. */
export function readEnvPositiveInt(name: EnvName): number | undefined {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** A declared variable as a positive number; undefined when unset, empty or not positive. */
export function readEnvPositive(name: EnvName): number | undefined {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * The values of the variables a stage declares in its `environment` that are set now. A user's
 * stage may declare any variable; the built-in stages declare `NUMERICS_ENVIRONMENT`.
 */
export function declaredValues(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
}

/** The whole environment, to pass on to a child process or to resolve settings from. */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}

/** The reference table of docs/cli.md (between `<!-- environment:start -->` and `<!-- environment:end -->`). */
export function environmentTable(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = ENVIRONMENT.map((v) => {
    const d = (v as EnvVariable).direction === 'set' ? 'set by mlc-pipe' : cell(v.default);
    return `| \`${v.name}\` | ${cell(v.meaning)} | ${d} | ${v.numerics ? 'yes' : 'no'} | \`${v.owner}\` |`;
  });
  return [
    '| variable | meaning | default | changes numerics (cache key) | owner |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `text` with the generated table between the markers. */
export function spliceEnvironmentTable(text: string, table: string = environmentTable()): string {
  const start = '<!-- environment:start -->';
  const end = '<!-- environment:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/cli.md needs the markers ${start} and ${end}`);
  return `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`;
}
