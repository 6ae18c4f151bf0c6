/** The tests' strict Prometheus text reader refuses what a scraper could misread (so the scrape tests can fail). */
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, seriesCount } from '../support/prometheus-text.ts';

const GOOD = [
  '# HELP a_total A counter.',
  '# TYPE a_total counter',
  'a_total{code="x",path="a\\"b\\\\c\\nd"} 3',
  '# TYPE h histogram',
  'h_bucket{le="0.1"} 1',
  'h_bucket{le="+Inf"} 2',
  'h_sum 0.5',
  'h_count 2',
  '',
].join('\n');

describe('strict Prometheus text reader', () => {
  it('reads a valid exposition', () => {
    const families = parsePrometheusText(GOOD);
    expect(seriesCount(families)).toBe(5);
    expect(families.get('a_total')?.samples[0]?.labels).toEqual({ code: 'x', path: 'a"b\\c\nd' });
  });

  it.each([
    ['no final newline', GOOD.slice(0, -1)],
    ['a sample before its TYPE', 'x 1\n'],
    ['a family split in two', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n'],
    ['a series twice', '# TYPE a gauge\na 1\na 2\n'],
    ['a bad value', '# TYPE a gauge\na one\n'],
    ['an unescaped quote', '# TYPE a gauge\na{x="a"b"} 1\n'],
    ['a bad label name', '# TYPE a gauge\na{1x="a"} 1\n'],
    ['a negative counter', '# TYPE a_total counter\na_total -1\n'],
    [
      'buckets not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    ['+Inf not the count', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'],
    ['a TYPE twice', '# TYPE a gauge\n# TYPE a gauge\na 1\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
