import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileUserRegex, pySub } from './regex.js';

test('compileUserRegex: accepts ordinary patterns, translating Python named groups', () => {
  for (const p of [
    '^servers\\.',
    '(\\d+)',
    'a|b',
    '(ab)*',
    '(a|b)+c',
    '[(+*]+x',
    '(a+)?b',
    'x{2,3}',
    '(?P<h>web\\d+)',
  ])
    assert.ok(compileUserRegex(p, 'aliasSub') instanceof RegExp, p);
  assert.equal(
    pySub(compileUserRegex('(?P<h>web)(\\d+)', 'aliasSub'), '\\g<h>-\\2-\\g<1>$1', 'a.web01.b'),
    'a.web-01-web$1.b',
  );
});

test('pySub: Python replacement syntax, every match replaced, unmatched groups empty', () => {
  const re = compileUserRegex('(x)?(\\d)', 'aliasSub');
  assert.equal(pySub(re, '<\\1\\2>', 'a1x2'), 'a<1><x2>');
  assert.equal(pySub(compileUserRegex('\\.', 'aliasSub'), '_', 'a.b.c'), 'a_b_c');
  assert.equal(pySub(compileUserRegex('b', 'aliasSub'), '\\\\', 'abc'), 'a\\c');
});

test('compileUserRegex: refuses what could backtrack without bound, naming the position', () => {
  const bad: [string, RegExp][] = [
    ['(a+)+$', /at position 4: a quantified group holds a quantifier/],
    ['(a*)*', /at position 4/],
    ['((ab)+c)*', /at position 8/],
    ['(x+){2,}', /at position 4/],
    ['(a)\\1', /at position 3: backreferences are not allowed/],
    ['(?P<n>a)(?P=n)', /at position 8: backreferences/],
    ['x'.repeat(1001), /longer than 1000 characters/],
    ['(unclosed', /invalid regex/],
  ];
  for (const [p, message] of bad) assert.throws(() => compileUserRegex(p, 'aliasSub'), message, p);
});
