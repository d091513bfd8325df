/**
 * `tensorflow` engine: the native TensorFlow backend of `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node`, used when the user installed one (neither is a dependency: their install
 * script downloads libtensorflow). Both register the tfjs backend named `tensorflow`.
 */
import { tf } from '../../tf.ts';
import { EngineUnavailable, isNotInstalled } from './unavailable.ts';

/** Packages tried, in order. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Imports the first installed package and activates its backend; returns the package name. */
export async function startTensorflow(): Promise<string> {
  const problems: string[] = [];
  for (const name of TENSORFLOW_PACKAGES) {
    const specifier: string = name;
    try {
      await import(/* @vite-ignore */ specifier);
    } catch (err) {
      problems.push(
        isNotInstalled(err, name)
          ? `${name} is not installed`
          : `${name} is installed but failed to load (${(err as Error).message.split('\n')[0]})`,
      );
      continue;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      problems.push(
        `${name} loaded but registered its backend with another copy of @tensorflow/tfjs-core ` +
          `(install the ${name} version matching @tensorflow/tfjs ${tf.version_core})`,
      );
      continue;
    }
    if (await tf.setBackend('tensorflow')) return name;
    problems.push(`${name}: the tensorflow backend failed to initialise`);
  }
  throw new EngineUnavailable(problems.join('; '));
}
