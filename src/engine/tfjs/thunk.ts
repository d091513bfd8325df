/**
 * Gradient functions hand their results back as thunks. One written inline as an object property
 * or a named const (`{ x: () => dx }`) is wrapped by esbuild's keepNames helper, which tsx turns on
 * for our sources: an Object.defineProperty on every call, ~1.8 ms of a ResNet-18 step for the
 * ~400 tape clones alone (V8 CPU profile). A closure returned from a function has no name to keep.
 */
export function thunk<T>(value: T): () => T {
  return () => value;
}

/** A thunk that calls `f(arg)` when the gradient is needed. */
export function lazy<A, T>(f: (arg: A) => T, arg: A): () => T {
  return () => f(arg);
}
