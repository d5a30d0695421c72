import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseATTime, parseTimeOffset } from './attime.js';

// now = 2023-11-14 22:13:20 UTC, a Tuesday. Expected values were produced by graphite-web 1.1.8's
// parseATTime (Debian's) with the same `now` and TIME_ZONE UTC.
const NOW = 1700000000;
const good: [string, number][] = [
  ['now', 1700000000],
  ['1600000000', 1600000000],
  ['-30s', 1699999970],
  ['-5min', 1699999700],
  ['-1h', 1699996400],
  ['-2d', 1699827200],
  ['-1w', 1699395200],
  ['-1mon', 1697408000],
  ['-1y', 1668464000],
  ['+1h', 1700003600],
  ['-1d2h', 1699906400],
  ['-1 d', 1699913600],
  ['-10seconds', 1699999990],
  ['-3minutes', 1699999820],
  ['-1hours', 1699996400],
  ['-2days', 1699827200],
  ['-2weeks', 1698790400],
  ['-1months', 1697408000],
  ['-1years', 1668464000],
  ['noon', 1699963200],
  ['midnight', 1699920000],
  ['teatime', 1699977600],
  ['6pm', 1699984800],
  ['8am', 1699948800],
  ['14:30', 1699972200],
  ['2:30pm', 1699972200],
  ['12am', 1699963200], // attime.py quirk: "am" never subtracts 12, so 12am is noon
  ['12pm', 1699920000], // and (12 + 12) % 24 makes 12pm midnight
  ['noon yesterday', 1699876800],
  ['yesterday', 1699833600],
  ['today', 1699920000],
  ['tomorrow', 1700006400],
  ['monday', 1699833600],
  ['tuesday', 1699920000],
  ['wednesday', 1699401600],
  ['sunday', 1699747200],
  ['saturday', 1699660800],
  ['jan1', 1672531200],
  ['dec25', 1703462400],
  ['20240131', 1706659200],
  ['12/31/2024', 1735603200],
  ['1/2/99', 915235200],
  ['1/2/69', 3124310400],
  ['14:30 20240131', 1706711400],
  ['midnight-1d', 1699833600],
  ['noon+1h', 1699966800],
  ['NOW', 1700000000],
  ['Noon_Today', 1699963200],
  ['20231301', 20231301], // not a valid YYYYMMDD, so an epoch
  ['19000101', 19000101],
  ['', 1700000000],
  ['14:3', 1699970580],
  ['sat-1h', 1699657200],
  ['3pm tomorrow', 1700060400],
];

test('parseATTime: good cases match graphite-web', () => {
  for (const [input, want] of good) assert.equal(parseATTime(input, NOW), want, input);
});

// Each must fail, and the message must quote the offending part.
const bad: [string, RegExp][] = [
  ['feb29', /invalid date 2023-2-29/],
  ['-1m', /invalid offset unit "m"/],
  ['-1', /invalid offset unit "" in "-1"/],
  ['foo', /unknown day reference "foo"/],
  ['-1x', /invalid offset unit "x"/],
  ['now-1d+2h', /unknown day reference "now-1d"/],
  ['jan', /day of month required after month name in "jan"/],
  ['aug', /day of month required/],
  ['13/45/2020', /invalid date 2020-13-45/],
  ['25:00', /invalid date .* 25:00/],
  ['x:30', /invalid number "x"/],
  ['-d', /want a number at "d"/],
];

test('parseATTime: bad inputs fail naming the bad part', () => {
  for (const [input, want] of bad) assert.throws(() => parseATTime(input, NOW), want, input);
});

test('parseATTime: day references follow the time zone', () => {
  // Midnight in New York on 2023-11-14 is 05:00 UTC (EST, -5h).
  assert.equal(parseATTime('midnight', NOW, 'America/New_York'), 1699938000);
  // Epoch seconds and offsets do not depend on the zone.
  assert.equal(parseATTime('-1h', NOW, 'Asia/Tokyo'), 1699996400);
  assert.equal(parseATTime('1600000000', NOW, 'Asia/Tokyo'), 1600000000);
});

test('parseTimeOffset: units and combined offsets', () => {
  assert.equal(parseTimeOffset(''), 0);
  assert.equal(parseTimeOffset('-1h30min'), -5400);
  assert.equal(parseTimeOffset('+2w'), 1209600);
  assert.equal(parseTimeOffset('5s'), 5);
  assert.throws(() => parseTimeOffset('*5s'), /want \+ or - first/);
});
