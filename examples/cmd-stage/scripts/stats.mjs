// Reads a CSV of numbers (one column) and writes mean and max as JSON. Used by pipeline.yaml.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const xs = readFileSync(input, 'utf8').split('\n').slice(1).filter(Boolean).map(Number);
const scale = Number(process.env.MLC_PARAM_SCALE ?? 1);
const mean = (xs.reduce((a, b) => a + b, 0) / xs.length) * scale;
writeFileSync(output, `${JSON.stringify({ n: xs.length, mean, max: Math.max(...xs) * scale })}\n`);
