// Module resolution hook: a user's stage module that imports `mlc-pipe` or `mlc-pipe/<sub>` from a
// folder where mlc-pipe is not installed (a scaffold made by `mlc-pipe init` anywhere) resolves to
// the running mlc-pipe package, through its package.json "exports". Installed copies win: the
// hook only answers when the normal resolution fails.
import { readFileSync } from 'node:fs';

let exportsMap;
let rootUrl;

export async function initialize(data) {
  rootUrl = data.root.endsWith('/') ? data.root : `${data.root}/`;
  exportsMap = JSON.parse(readFileSync(new URL('package.json', rootUrl), 'utf8')).exports ?? {};
}

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (specifier !== 'mlc-pipe' && !specifier.startsWith('mlc-pipe/')) throw err;
    const key = specifier === 'mlc-pipe' ? '.' : `./${specifier.slice('mlc-pipe/'.length)}`;
    const target = exportsMap[key];
    if (typeof target !== 'string') throw err;
    return next(new URL(target, rootUrl).href, context);
  }
}
