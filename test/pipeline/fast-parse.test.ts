/**
 * The fast path (js-yaml) must give exactly the `yaml` library's value for every document it
 * reads, and leave every document it might read differently to the `yaml` library.
 */
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { fastParse } from '../../src/pipeline/fast-parse.ts';
import { YamlSource } from '../../src/pipeline/source.ts';

const yamlValue = (text: string) => parseDocument(text, { uniqueKeys: false }).toJS() as unknown;

const READ_ALIKE: Record<string, string> = {
  scalars: `
ints: [0, -0, 7, +12, 007, 0o17, 0x1F, 123456789012345678901234567890]
floats: [1.5, -.5, .5, 1., 1e3, -2.5E-3, .inf, -.Inf, +.INF, .nan, .NaN]
bools: [true, True, TRUE, false, False, FALSE]
nulls: [~, null, Null, NULL, ]
strings: [yes, no, on, off, y, n, 0b101, 1_000, 0o8, 0xG, 12:30, 2024-01-02, 1.2.3, +inf, nan, '-', .]
empty:
`,
  quoting: `
single: 'it''s # not a comment'
double: "tab\\tnl\\nuni\\u00e9\\x41 \\"q\\" \\\\ \\/ \\0 \\a \\e \\N \\_ \\L \\P"
folded_double: "a
  b

  c"
plain_multi: a
  b
  c
colon: a:b
hash: a#b
url: http://x/y?z=1&w=2
shell: echo \${vars.x} && ls *.txt | wc -l; true
`,
  blocks: `
literal: |
  line 1
    indented
  line 3

folded: >
  a
  b

  c
keep: |+
  x

strip: |-
  y
indent_indicator: |2
   three spaces
folded_more: >
  a
    more indented
  b
`,
  collections: `
flow_map: { a: 1, b: [x, y], "c d": { e: null } }
flow_seq: [ [1, 2], {k: v}, "s" ]
block_seq:
  - a
  - - nested
    - list
  - k: v
    k2: v2
compact: [a: 1]
empty_map: {}
empty_seq: []
"quoted key": 1
'single key': 2
key with spaces: 3
unicode_é: ü
`,
  comments: `# head
a: 1 # trailing
# between
b:
  # inside
  - x # item
`,
  anchors_without_alias: 'a: &anchor 1\nb: 2\n',
  document_markers: '---\na: 1\n...\n',
  crlf: 'a: 1\r\nb:\r\n  c: "x"\r\n',
};

const FALLS_BACK: Record<string, string> = {
  alias: 'a: &x [1]\nb: *x\n',
  tag: 'a: !!str 1\n',
  custom_tag: 'a: !thing x\n',
  duplicate_key: 'a: 1\na: 2\n',
  directive: '%YAML 1.1\n---\na: yes\n',
  two_documents: 'a: 1\n---\nb: 2\n',
  numeric_key: '1: a\n',
  null_key: '~: a\n',
  bool_key: 'true: a\n',
  proto_key: '__proto__: { polluted: 1 }\n',
  collection_key: '? [a, b]\n: c\n',
  syntax_error: 'a: [1, 2\n',
  bad_indent: 'a:\n  b: 1\n c: 2\n',
  empty: '',
};

describe('fast YAML path', () => {
  for (const [name, text] of Object.entries(READ_ALIKE)) {
    it(`reads ${name} exactly as the yaml library does`, () => {
      const fast = fastParse(text);
      expect(fast).toBeDefined();
      expect(fast!.value).toStrictEqual(yamlValue(text));
    });
  }

  for (const [name, text] of Object.entries(FALLS_BACK)) {
    it(`leaves ${name.replace(/_/g, ' ')} to the yaml library`, () => {
      expect(fastParse(text)).toBeUndefined();
    });
  }

  it('puts shallow keys where the yaml library puts them, quoted or not', () => {
    const text = 'name: p\nstages:\n  a: { cmd: x }\n  "b.c":\n    cmd: y\n  \'d\': { cmd: z }\nvars:\n   v: 1\n';
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    const fast = new YamlSource('p.yaml', text);
    for (const path of [
      ['name'],
      ['stages'],
      ['vars'],
      ['stages', 'a'],
      ['stages', 'b.c'],
      ['stages', 'd'],
      ['vars', 'v'],
    ]) {
      const parent = doc.getIn(path.slice(0, -1), true) as
        { items: Array<{ key: { value: unknown; range: [number] } }> } | undefined;
      const pair = (path.length === 1 ? (doc.contents as unknown as typeof parent) : parent)!.items.find(
        (p) => p.key.value === path[path.length - 1],
      );
      expect(fast.position(path, true), path.join('.')).toEqual(lines.linePos(pair!.key.range[0]));
    }
  });
});
