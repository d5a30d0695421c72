import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob, compilePathGlob, expandBraces, GlobError } from './glob.js';

// [segment pattern, names that match, names that do not]
const GOOD: Array<[string, string[], string[]]> = [
  ['cpu', ['cpu'], ['cpu0', 'CPU', 'cp']],
  ['*', ['', 'a', 'web-01'], []],
  ['web*', ['web', 'web1', 'webserver'], ['we', 'aweb']],
  ['*01', ['web01', '01'], ['web010']],
  ['w*b*1', ['wb1', 'web01', 'wXbY1'], ['web10']],
  ['web?', ['web1', 'webX'], ['web', 'web10']],
  ['web[12]', ['web1', 'web2'], ['web3', 'web12']],
  ['web[a-c]', ['weba', 'webc'], ['webd', 'webA']],
  ['web[!1]', ['web2', 'webx'], ['web1', 'web']],
  ['[]x]', [']', 'x'], ['y']],
  ['[!]x]', ['y'], [']', 'x']],
  ['[a-]', ['a', '-'], ['b']],
  ['{cpu,mem}', ['cpu', 'mem'], ['disk', 'cpumem']],
  ['{a,b}{1,2}', ['a1', 'a2', 'b1', 'b2'], ['ab']],
  ['{,pre}fix', ['fix', 'prefix'], ['xfix']],
  ['{a,{b,c}}', ['a', 'b', 'c'], ['{b']],
  ['{web,db}[0-9]*', ['web1', 'db22x'], ['webx', 'mail1']],
  ['a+b(c)', ['a+b(c)'], ['aab(c)', 'a+bc']],
  ['ü*', ['über'], ['uber']],
  ['^$|', ['^$|'], ['']],
];

for (const [pattern, yes, no] of GOOD) {
  test(`glob '${pattern}'`, () => {
    const g = compileGlob(pattern);
    for (const name of yes) assert.equal(g.test(name), true, `'${pattern}' should match '${name}'`);
    for (const name of no) assert.equal(g.test(name), false, `'${pattern}' should not match '${name}'`);
    // Whatever the pattern, a wildcard never matches across a segment boundary.
    if (!g.isLiteral) assert.equal(g.test('a.b'), false);
  });
}

test('literal patterns report their exact names (find stats them instead of listing)', () => {
  assert.deepEqual(compileGlob('cpu').literals, ['cpu']);
  assert.deepEqual(compileGlob('{cpu,mem}').literals, ['cpu', 'mem']);
  assert.equal(compileGlob('c?u').isLiteral, false);
});

test('brace expansion follows graphite-web: innermost first, no duplicates', () => {
  assert.deepEqual(expandBraces('x{a,b}y'), ['xay', 'xby']);
  assert.deepEqual(expandBraces('{a,b}{a,b}'), ['aa', 'ab', 'ba', 'bb']);
  assert.deepEqual(expandBraces('{a,a}'), ['a']);
  assert.deepEqual(expandBraces('{}'), ['']);
  assert.deepEqual(expandBraces('plain'), ['plain']);
});

test('a dotted pattern compiles to one matcher per segment', () => {
  const m = compilePathGlob('servers.web*.{cpu,mem}');
  assert.deepEqual(
    m.map((g) => g.pattern),
    ['servers', 'web*', '{cpu,mem}'],
  );
  assert.equal(m[2].test('mem'), true);
});

// Malformed patterns that graphite-web's fnmatch would take literally; we say where the problem is.
const BAD: Array<[string, string]> = [
  ['a[bc', "unclosed [ at position 1 in 'a[bc'"],
  ['[', "unclosed [ at position 0 in '['"],
  ['x[!', "unclosed [ at position 1 in 'x[!'"],
  ['[]', "unclosed [ at position 0 in '[]'"],
  ['ab{c,d', "unclosed { at position 2 in 'ab{c,d'"],
  ['{a,{b}', "unclosed { at position 0 in '{a,{b}'"],
  ['a}b', "'}' without a matching '{' at position 1 in 'a}b'"],
  ['[z-a]', "empty range z-a in [..] at position 0 in '[z-a]'"],
  ['a{[,]}b', "unclosed [ at position 1 in 'a[b'"],
];
for (const [pattern, message] of BAD) {
  test(`malformed glob '${pattern}' fails: ${message}`, () => {
    assert.throws(
      () => compileGlob(pattern),
      (e: unknown) => e instanceof GlobError && e.message === message && e.pattern.length > 0,
    );
  });
}

test('a {..} holding a dot is one segment, refused with the position of the dot', () => {
  assert.throws(
    () => compilePathGlob('a.{b.c,d}'),
    /'\.' inside one segment \(split the path on '\.' first\) at position 2 in '\{b\.c,d\}'/,
  );
});
