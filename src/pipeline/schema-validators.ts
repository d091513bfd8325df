/**
 * The compiled ajv validators the loader uses: the pipeline file's schema
 * (schemas/pipeline.schema.json), one stage body of it (for bodies changed by -S), and each stage
 * module's params schema (which fills in defaults; also an entry point's options given as CLI
 * flags, ./check-options.ts). Each is compiled once, on first use.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { TObject } from '@sinclair/typebox';
import { fromPackageRoot } from '../package-root.ts';

const SCHEMA_PATH = fromPackageRoot('schemas', 'pipeline.schema.json');
let pipelineValidator: ValidateFunction | undefined;
let pipelineAjv: Ajv2020 | undefined;

/** The whole pipeline file's schema. */
export function validatePipelineSchema(): ValidateFunction {
  if (!pipelineValidator) {
    const ajv = (pipelineAjv = new Ajv2020({ allErrors: true, verbose: true, strict: false, strictNumbers: true }));
    pipelineValidator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  }
  return pipelineValidator;
}

/** The schema of one stage body (the pipeline schema's `$defs/stage`), for bodies changed by -S. */
export function validateStageSchema(): ValidateFunction {
  const whole = validatePipelineSchema() as ValidateFunction & { schema: { $id?: string } };
  return pipelineAjv!.getSchema(`${whole.schema.$id ?? ''}#/$defs/stage`)!;
}

const paramsAjv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: false, strictNumbers: true });
const paramValidators = new WeakMap<object, ValidateFunction>();

/** A stage module's params schema; validating fills in its defaults. */
export function paramsValidator(schema: TObject): ValidateFunction {
  let v = paramValidators.get(schema);
  if (!v) {
    v = paramsAjv.compile(schema);
    paramValidators.set(schema, v);
  }
  return v;
}

/** One param's schema (for a CLI flag such as `--engine` set on every stage that has the param). */
export function paramValidator(schema: object): ValidateFunction {
  return paramsAjv.compile(schema);
}
