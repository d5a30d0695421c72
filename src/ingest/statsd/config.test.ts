import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyConfigText, defaultConfig } from '../../config/config.js';
import { DEFAULT_STATSD_CONFIG, parseStatsdConfig } from './config.js';

describe('parseStatsdConfig', () => {
  it('gives Etsy defaults for an empty object', () => {
    assert.deepEqual(parseStatsdConfig({}), DEFAULT_STATSD_CONFIG);
  });

  it('takes INI strings and lets deleteIdleStats set the delete* defaults', () => {
    const c = parseStatsdConfig({
      flushInterval: '2000',
      percentThreshold: '90, -10,99.9',
      deleteIdleStats: 'true',
      deleteGauges: 'no',
      calculatedTimerMetrics: 'count,upper_percent',
      graphite: { legacyNamespace: 'false', globalPrefix: '', globalSuffix: 'host1' },
    });
    assert.equal(c.flushInterval, 2000);
    assert.deepEqual(c.percentThreshold, [90, -10, 99.9]);
    assert.deepEqual(
      [c.deleteCounters, c.deleteTimers, c.deleteSets, c.deleteGauges],
      [true, true, true, false],
    );
    assert.deepEqual(c.calculatedTimerMetrics, ['count', 'upper_percent']);
    assert.equal(c.graphite.legacyNamespace, false);
    assert.equal(c.graphite.globalPrefix, '');
    assert.equal(c.graphite.globalSuffix, 'host1');
  });

  it('takes the remote carbon address as Etsy names it, from the [statsd] section too', () => {
    const GOOD: [Record<string, unknown>, string, number][] = [
      [{}, '', 2003],
      [{ graphiteHost: 'carbon.example.com' }, 'carbon.example.com', 2003],
      [{ graphiteHost: '127.0.0.1', graphitePort: '2013' }, '127.0.0.1', 2013],
      [{ graphiteHost: '[::1]', graphitePort: 65535 }, '::1', 65535],
      [{ graphiteHost: '::1' }, '::1', 2003],
    ];
    for (const [input, host, port] of GOOD) {
      const c = parseStatsdConfig(input);
      assert.deepEqual([c.graphiteHost, c.graphitePort], [host, port], JSON.stringify(input));
    }
    const ini = applyConfigText(
      defaultConfig(),
      '[statsd]\ngraphiteHost = 127.0.0.1\ngraphitePort = 2103\n',
      'carbonado.conf',
    );
    const c = parseStatsdConfig(ini.statsd.options);
    assert.deepEqual([c.graphiteHost, c.graphitePort], ['127.0.0.1', 2103]);
  });

  const BAD: [Record<string, unknown>, string][] = [
    [{ flushInterval: 'soon' }, 'flushInterval = "soon"'],
    [{ flushInterval: 0 }, 'flushInterval = 0'],
    [{ percentThreshold: [0] }, 'percentThreshold = 0'],
    [{ percentThreshold: [101] }, 'percentThreshold = 101'],
    [{ percentThreshold: '1e-7' }, 'percentThreshold = "1e-7"'],
    [{ gaugesMaxTTL: 1.5 }, 'gaugesMaxTTL = 1.5'],
    [{ deleteTimers: 'maybe' }, 'deleteTimers = "maybe"'],
    [{ prefixStats: '' }, 'prefixStats = ""'],
    [{ prefixStats: 'a..b' }, 'prefixStats = "a..b"'],
    [{ graphite: { globalPrefix: 'a b' } }, 'graphite.globalPrefix = "a b"'],
    [{ graphite: { prefx: 'x' } }, '"graphite.prefx"'],
    [{ flushintervall: 1 }, '"flushintervall"'],
    [{ calculatedTimerMetrics: ['p99'] }, 'calculatedTimerMetrics = "p99"'],
    [{ histogram: [{ metric: 'a', bins: [10, 5] }] }, 'histogram[0].bins[1] = 5'],
    [{ histogram: [{ metric: 'a', bins: ['inf', 5] }] }, 'histogram[0].bins[0] = "inf"'],
    [{ healthStatus: 'sideways' }, 'healthStatus = "sideways"'],
    [{ graphiteHost: 'tcp://carbon' }, 'graphiteHost = "tcp://carbon"'],
    [{ graphiteHost: 'carbon:2003' }, 'graphiteHost = "carbon:2003"'],
    [{ graphiteHost: 'a b' }, 'graphiteHost = "a b"'],
    [{ graphiteHost: 2003 }, 'graphiteHost = 2003'],
    [{ graphitePort: 70000 }, 'graphitePort = 70000'],
    [{ graphitePort: '0' }, 'graphitePort = "0"'],
    [{ graphitePort: 'http' }, 'graphitePort = "http"'],
  ];
  for (const [input, quoted] of BAD) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseStatsdConfig(input),
        (err: Error) => {
          assert.ok(err.message.includes(quoted), `${err.message} should name ${quoted}`);
          return true;
        },
      );
    });
  }
});
