/**
 * DAG: edges from needs and paths, order, cycles spelled out, duplicate outputs, renderings.
 */
import { describe, expect, it } from 'vitest';
import { DagError } from '../../src/errors.ts';
import { ancestors, buildGraph, descendants, pathsOverlap } from '../../src/pipeline/graph.ts';
import { renderDag } from '../../src/pipeline/render-dag.ts';
import type { StageNode } from '../../src/pipeline/types.ts';

function cmd(id: string, inputs: string[], outputs: string[], needs: string[] = []): StageNode {
  return {
    kind: 'cmd',
    id,
    template: id,
    needs,
    inputs,
    outputs,
    resources: { cpu: 1, gpu: 0 },
    cmd: ['true'],
    shell: false,
    code: [],
    params: {},
    env: {},
  };
}

describe('buildGraph', () => {
  it('adds edges from needs and from paths (equal, inside, containing) and orders topologically', () => {
    const g = buildGraph([
      cmd('report', ['models/run/model.json', 'data'], ['report.html']),
      cmd('train', ['data/train.txt'], ['models/run']),
      cmd('gen', ['images'], ['data/train.txt', 'data/val.txt']),
      cmd('lint', [], ['lint.txt'], ['gen']),
    ]);
    expect(g.order).toEqual(['gen', 'train', 'report', 'lint']);
    expect([...g.upstream.get('report')!.entries()]).toEqual([
      ['train', { kind: 'path', path: 'models/run/model.json' }],
      ['gen', { kind: 'path', path: 'data' }],
    ]);
    expect([...g.upstream.get('lint')!.keys()]).toEqual(['gen']);
    expect([...descendants(g, ['train'])]).toEqual(['report']);
    expect([...ancestors(g, ['report'])].sort()).toEqual(['gen', 'train']);
  });

  it('spells out a cycle in data-flow order with the edge reasons', () => {
    const build = () =>
      buildGraph([cmd('a', ['c.txt'], ['a.txt']), cmd('b', ['a.txt'], ['b.txt']), cmd('c', [], ['c.txt'], ['b'])]);
    expect(build).toThrow(DagError);
    expect(build).toThrow('dependency cycle: a (a.txt) → b (needs) → c (c.txt) → a');
  });

  it('rejects two stages writing one output, or overlapping outputs', () => {
    expect(() => buildGraph([cmd('a', [], ['out/x']), cmd('b', [], ['out/x'])])).toThrow(
      'stages "a" and "b" both write "out/x"',
    );
    expect(() => buildGraph([cmd('a', [], ['out']), cmd('b', [], ['out/y.txt'])])).toThrow(
      'stage "a" writes "out" and stage "b" writes "out/y.txt", which overlap',
    );
  });

  it('pathsOverlap compares whole path segments', () => {
    expect(pathsOverlap('data', 'data/a')).toBe(true);
    expect(pathsOverlap('data', 'data2/a')).toBe(false);
    expect(pathsOverlap('a/b', 'a/b')).toBe(true);
  });

  it('renders ascii, mermaid and dot', () => {
    const g = buildGraph([cmd('gen', [], ['d.txt']), cmd('use@x', ['d.txt'], ['e.txt'])]);
    expect(renderDag(g, 'ascii')).toBe('gen [cmd]\n  └─ use@x [cmd]  ← gen (d.txt)');
    // a stage is drawn under its own upstream, not under whatever was listed before it
    const tree = buildGraph([
      cmd('data', [], ['d']),
      cmd('sweep@a', [], ['a.txt']),
      cmd('sweep@b', [], ['b.txt']),
      cmd('stats', ['d/x'], ['s.txt']),
      cmd('both', ['a.txt', 's.txt'], ['z']),
    ]);
    expect(renderDag(tree, 'ascii')).toBe(
      [
        'data [cmd]',
        '  └─ stats [cmd]  ← data (d/x)',
        '    └─ both [cmd]  ← sweep@a (a.txt), stats (s.txt)',
        'sweep@a [cmd]',
        'sweep@b [cmd]',
      ].join('\n'),
    );
    expect(renderDag(g, 'mermaid')).toBe('flowchart TD\n  s0["gen [cmd]"]\n  s1["use@x [cmd]"]\n  s0 --> s1');
    expect(renderDag(g, 'dot')).toBe(
      'digraph mlc {\n  rankdir=TB;\n  node [shape=box];\n  "gen" [label="gen [cmd]"];\n  "use@x" [label="use@x [cmd]"];\n  "gen" -> "use@x";\n}',
    );
  });
});
