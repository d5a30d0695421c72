import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from './ast.js';
import { parseTarget, TargetSyntaxError } from './parser.js';
import { printNode } from './print.js';

// A compact notation for expected trees: p(path), c(name, args, kwargs), s(value), n(text).
const p = (path: string, text = path): Node => ({ kind: 'path', path, text, pos: -1 });
const c = (name: string, args: Node[] = [], kwargs: Record<string, Node> = {}): Node => ({
  kind: 'call',
  name,
  args,
  kwargs: Object.entries(kwargs).map(([k, value]) => ({ name: k, value })),
  pos: -1,
});
const s = (value: string, quote: '"' | "'" = '"'): Node => ({ kind: 'string', value, quote });
const n = (text: string): Node => ({
  kind: 'number',
  value: Number(text),
  float: /[.eE]/.test(text),
  text,
});
const b = (value: boolean): Node => ({ kind: 'boolean', value });

// Positions are checked separately; the table compares shapes.
function withoutPositions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutPositions);
  if (node && typeof node === 'object')
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k]) => k !== 'raw') // a call's text as written; the round trip drops spacing
        .map(([k, v]) => [k, k === 'pos' ? -1 : withoutPositions(v)]),
    );
  return node;
}

// target -> [tree, canonical print]
const good: [string, Node, string][] = [
  ['a.b.c', p('a.b.c'), 'a.b.c'],
  ['servers.web*.cpu.{user,system}', p('servers.web*.cpu.{user,system}'), 'servers.web*.cpu.{user,system}'],
  ['a.b[0-9]?.c', p('a.b[0-9]?.c'), 'a.b[0-9]?.c'],
  ['a.b;tag=value;dc=eu', p('a.b;tag=value;dc=eu'), 'a.b;tag=value;dc=eu'],
  ['a\\(b\\).c', p('a(b).c', 'a\\(b\\).c'), 'a\\(b\\).c'],
  ['x{a,b}y{c,d}.z', p('x{a,b}y{c,d}.z'), 'x{a,b}y{c,d}.z'],
  ['sumSeries(a.b)', c('sumSeries', [p('a.b')]), 'sumSeries(a.b)'],
  [' sumSeries ( a.* , b.c ) ', c('sumSeries', [p('a.*'), p('b.c')]), 'sumSeries(a.*,b.c)'],
  ['f()', c('f'), 'f()'],
  [
    'alias(sumSeries(a.*), "total")',
    c('alias', [c('sumSeries', [p('a.*')]), s('total')]),
    'alias(sumSeries(a.*),"total")',
  ],
  ["alias(a, 'it''s')", c('alias', [p('a'), s("it''s", "'")]), "alias(a,'it''s')"],
  [
    'aliasSub(a, "(\\d+)\\.x", "\\1")',
    c('aliasSub', [p('a'), s('(\\d+)\\.x'), s('\\1')]),
    'aliasSub(a,"(\\d+)\\.x","\\1")',
  ],
  [
    'f(1, -2, 3.5, -0.25, 1e3, 2.5E-2)',
    c('f', [n('1'), n('-2'), n('3.5'), n('-0.25'), n('1e3'), n('2.5E-2')]),
    'f(1,-2,3.5,-0.25,1e3,2.5E-2)',
  ],
  ['f(true, False, TRUE)', c('f', [b(true), b(false), b(true)]), 'f(true,false,true)'],
  [
    'f(None, none, inf)',
    c('f', [{ kind: 'none' }, { kind: 'none' }, { kind: 'infinity' }]),
    'f(None,None,inf)',
  ],
  // A number not followed by ',' or ')' is a path, as upstream's look-ahead decides.
  ['f(1.5.x, 5min, 10s.a)', c('f', [p('1.5.x'), p('5min'), p('10s.a')]), 'f(1.5.x,5min,10s.a)'],
  ['f(trueish, none.x)', c('f', [p('trueish'), p('none.x')]), 'f(trueish,none.x)'],
  [
    'movingAverage(a.b, windowSize="5min", xFilesFactor=0.5)',
    c('movingAverage', [p('a.b')], { windowSize: s('5min'), xFilesFactor: n('0.5') }),
    'movingAverage(a.b,windowSize="5min",xFilesFactor=0.5)',
  ],
  ['f(k = 1)', c('f', [], { k: n('1') }), 'f(k=1)'],
  ['a.b | sumSeries()', c('sumSeries', [p('a.b')]), 'sumSeries(a.b)'],
  [
    'a.* | scale(2) | alias("x")',
    c('alias', [c('scale', [p('a.*'), n('2')]), s('x')]),
    'alias(scale(a.*,2),"x")',
  ],
  ['sum(a.b|scale(2))', c('sum', [c('scale', [p('a.b'), n('2')])]), 'sum(scale(a.b,2))'],
  [
    'template(sumSeries(hosts.$1.cpu), "web01")',
    {
      kind: 'template',
      body: c('sumSeries', [p('hosts.$1.cpu')]) as never,
      args: [s('web01') as never],
      kwargs: [],
      pos: -1,
    },
    'template(sumSeries(hosts.$1.cpu),"web01")',
  ],
  [
    'template(hosts.$host.cpu, host="db", n=2)',
    {
      kind: 'template',
      body: p('hosts.$host.cpu') as never,
      args: [],
      kwargs: [
        { name: 'host', value: s('db') as never },
        { name: 'n', value: n('2') as never },
      ],
      pos: -1,
    },
    'template(hosts.$host.cpu,host="db",n=2)',
  ],
];

test('parseTarget: good targets give their tree and print back canonically', () => {
  for (const [target, tree, canonical] of good) {
    const parsed = parseTarget(target);
    assert.deepEqual(withoutPositions(parsed), tree, target);
    assert.equal(printNode(parsed), canonical, target);
    // Round trip: the canonical text parses to the same tree and prints the same.
    assert.deepEqual(withoutPositions(parseTarget(canonical)), tree, canonical);
    assert.equal(printNode(parseTarget(canonical)), canonical);
  }
});

test('parseTarget: positions of calls and paths are 0-based offsets into the target', () => {
  const t = parseTarget('  alias(sumSeries(a.b, c), "x")');
  assert.equal(t.kind, 'call');
  if (t.kind !== 'call') return;
  assert.equal(t.pos, 2);
  const inner = t.args[0];
  assert.equal(inner.kind === 'call' && inner.pos, 8);
  assert.equal(inner.kind === 'call' && inner.args[1].kind === 'path' && inner.args[1].pos, 23);
});

// target -> [position, part of the message]
const bad: [string, number, string][] = [
  ['', 0, 'got end of target; want a metric path or a function call'],
  ['sumSeries(', 10, 'got end of target; want an argument'],
  ['sumSeries(a.b', 13, "got end of target; want ',' or ')' to go on the call to sumSeries"],
  ['sumSeries(a.b,)', 14, "got ')'; want an argument"],
  ['sumSeries(,a)', 10, "got ','; want an argument"],
  ['sumSeries(a.b))', 14, "got ')'; want end of target"],
  ['a.b c', 4, "got 'c'; want end of target"],
  ['a..b', 1, "got '..b'; want end of target"],
  ['a.', 1, "got '.'; want end of target"],
  ['a.{b,c', 6, "want ',' or '}' to go on the '{' opened at position 2"],
  ['a.{}', 3, "want a name inside '{...}'"],
  ['f(x=1, a.b)', 7, 'want a keyword argument (name=value): positional arguments come first'],
  ['f("abc)', 2, 'want a closing " on the same line'],
  ["f('a\nb')", 2, "want a closing ' on the same line"],
  ['a.b |', 5, 'want a function call after "|"'],
  ['a.b | c.d', 6, 'want a function call after "|"'],
  ['f(a b)', 4, "got 'b'; want ',' or ')'"],
  ['template(a.$1, x.y)', 15, 'want a number or a string (template arguments are literals)'],
  ['template(a.$1, 1, k=2)', 18, 'want only positional template arguments'],
  ['(a.b)', 0, "got '('; want a metric path or a function call"],
  ['café.x', 3, 'want end of target'],
];

test('parseTarget: bad targets fail naming the position and the bad part', () => {
  for (const [target, position, message] of bad) {
    assert.throws(
      () => parseTarget(target),
      (err: unknown) => {
        assert.ok(err instanceof TargetSyntaxError, `${target}: ${err}`);
        assert.equal(err.position, position, `${JSON.stringify(target)}: ${err.message}`);
        assert.ok(err.message.includes(message), `${JSON.stringify(target)}: ${err.message}`);
        assert.ok(err.message.includes(`at position ${position}`), err.message);
        return true;
      },
    );
  }
});

test('parseTarget: nesting deeper than the limit is refused, at the limit accepted', () => {
  const nest = (depth: number) => `${'f('.repeat(depth)}a.b${')'.repeat(depth)}`;
  assert.equal(printNode(parseTarget(nest(5), { maxDepth: 5 })), nest(5));
  assert.throws(() => parseTarget(nest(6), { maxDepth: 5 }), /at position 10: .*nested at most 5 deep/);
  // The default limit holds against a pathological target without exhausting the stack.
  assert.throws(() => parseTarget(nest(100_000)), /nesting-depth limit/);
});
