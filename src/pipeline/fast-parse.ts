/**
 * The no-error fast path of pipeline loading: js-yaml's event parser and constructor, about eight
 * times faster than the `yaml` library's Document (which keeps a node with a source range for
 * every value: 1.3 s and much of the GC time for a 5 MB pipeline). It is used only for documents
 * where both libraries give the same value by construction (YAML 1.2 core schema in both); any
 * other document, and every document with a problem, goes through the `yaml` library, which
 * reports syntax errors and positions (YamlSource).
 */
import {
  constructFromEvents,
  CORE_SCHEMA,
  EVENT_ID,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  type Event,
} from 'js-yaml';

/** A document read by the fast path. */
export interface FastDocument {
  /** The plain JS value, as `yaml`'s `toJS()` gives it. */
  value: unknown;
  /** Source offset of each key of the root map and of the maps one level below it, by `a` / `a\0b`. */
  keyOffsets: Map<string, number>;
}

/**
 * Deepest nesting of maps and lists a pipeline file may have: far beyond what a pipeline needs,
 * far below what would exhaust the stack of a recursive reader (10,000 levels did).
 */
export const MAX_NESTING = 100;

/**
 * Where a document first nests deeper than MAX_NESTING (1-based line and column), or undefined.
 * Only the event parser runs (no values are built), iteratively.
 */
export function tooDeep(text: string): { line: number; col: number } | undefined {
  try {
    parseEvents(text, { maxDepth: MAX_NESTING });
    return undefined;
  } catch (err) {
    const e = err as { reason?: string; mark?: { line: number; column: number } };
    if (!e.reason?.startsWith('nesting exceeded') || !e.mark) return undefined;
    return { line: e.mark.line + 1, col: e.mark.column + 1 };
  }
}

/** A plain key that the core schema reads as null, a boolean or a number (or `__proto__`): the two libraries stringify those differently. */
const NON_STRING_KEY = /^(?:|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|__proto__|[-+.0-9].*)$/;

/**
 * The document's value, or undefined when it needs the `yaml` library: a syntax error or a
 * duplicate key (js-yaml throws), more than one document, a directive (`%YAML 1.1` changes the
 * schema), a tag or an alias (aliases are counted against MAX_ALIAS_COUNT there), a key that is a
 * collection or not plainly a string, or nesting past js-yaml's depth limit.
 */
export function fastParse(text: string): FastDocument | undefined {
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: MAX_NESTING });
  } catch {
    return undefined;
  }
  const keyOffsets = scan(text, events);
  if (!keyOffsets) return undefined;
  try {
    const docs = constructFromEvents(events, { source: text, schema: CORE_SCHEMA });
    return docs.length === 1 ? { value: docs[0], keyOffsets } : undefined;
  } catch {
    return undefined;
  }
}

/** An open collection; `path` (the keys leading to it, joined by NUL) is kept for the root map and its child maps only. */
type Frame = { map: boolean; items: number; path: string | undefined; key: string };

/** Checks every event for what only the `yaml` library reads the same way; collects the shallow key offsets. */
function scan(text: string, events: Event[]): Map<string, number> | undefined {
  const keyOffsets = new Map<string, number>();
  const stack: Frame[] = [];
  let docs = 0;
  for (const e of events) {
    if (e.type === EVENT_ID.DOCUMENT) {
      if (++docs > 1 || e.directives.length) return undefined;
      stack.push({ map: false, items: 0, path: undefined, key: '' });
      continue;
    }
    if (e.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    if (e.type === EVENT_ID.ALIAS || e.tagStart !== -1) return undefined;
    const parent = stack[stack.length - 1];
    if (!parent) return undefined;
    const isKey = parent.map && parent.items % 2 === 0;
    parent.items++;
    if (isKey) {
      if (e.type !== EVENT_ID.SCALAR) return undefined;
      const key = getScalarValue(text, e);
      if (e.style === SCALAR_STYLE.PLAIN && NON_STRING_KEY.test(key)) return undefined;
      parent.key = key;
      if (parent.path !== undefined) {
        const id = parent.path === '' ? key : `${parent.path}\0${key}`;
        // `yaml` puts a quoted key's range at its opening quote; js-yaml's value starts after it.
        const quoted = e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED;
        if (!keyOffsets.has(id)) keyOffsets.set(id, e.valueStart - (quoted ? 1 : 0));
      }
      continue;
    }
    if (e.type !== EVENT_ID.MAPPING && e.type !== EVENT_ID.SEQUENCE) continue;
    let path: string | undefined;
    if (e.type === EVENT_ID.MAPPING) {
      if (stack.length === 1)
        path = ''; // the root map
      else if (stack.length === 2 && parent.map && parent.path === '') path = parent.key; // a map under a root key
    }
    stack.push({ map: e.type === EVENT_ID.MAPPING, items: 0, path, key: '' });
  }
  return keyOffsets;
}
