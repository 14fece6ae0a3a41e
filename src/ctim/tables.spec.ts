import { describe, expect, it } from '@jest/globals';
import {
  dispositionOfVerdict,
  indicatorTitleOfScore,
  normaliseScore,
  severityOfScore,
} from './tables.js';

/** Spec §5 score table, written out independently of the implementation. */
const SCORES: readonly [number, string, string][] = [
  [0, 'Known Good', 'None'],
  [1, 'Remediated', 'High'],
  [2, 'Suspicious Low File event', 'Low'],
  [3, 'Suspicious Low Process event', 'Low'],
  [4, 'Suspicious Low Network event', 'Low'],
  [5, 'Suspicious Medium File event', 'Medium'],
  [6, 'Suspicious Medium Process event', 'Medium'],
  [7, 'Suspicious Medium Network event', 'Medium'],
  [8, 'Malicious File event', 'High'],
  [9, 'Malicious Process event', 'High'],
  [10, 'Malicious Network event', 'High'],
];

describe('normaliseScore', () => {
  it.each(SCORES.map(([score]) => score))(
    'reads %i as a number, a string and a padded string',
    (score) => {
      expect([
        normaliseScore(score),
        normaliseScore(String(score)),
        normaliseScore(` ${score} `),
      ]).toEqual([score, score, score]);
    },
  );

  it.each([
    ['-1', '-1'],
    ['11', '11'],
    ['a leading zero', '08'],
    ['a fraction', '8.5'],
    ['a fractional number', 8.5],
    ['a negative number', -1],
    ['11 as a number', 11],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a word', 'high'],
    ['a signed string', '+8'],
    ['an empty string', ''],
    ['a blank string', '  '],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { score: 8 }],
    ['an array', [8]],
  ])('treats %s as no score', (_name, raw) => {
    expect(normaliseScore(raw)).toBeUndefined();
  });

  it('reads -0 as 0', () => {
    expect(Object.is(normaliseScore(-0), 0)).toBe(true);
  });
});

describe('severityOfScore and indicatorTitleOfScore', () => {
  it.each(SCORES)('maps score %i to title "%s" and severity %s', (score, title, severity) => {
    expect([indicatorTitleOfScore(score), severityOfScore(score)]).toEqual([title, severity]);
  });

  it.each([undefined, 11, -1, 2.5])(
    'maps the unknown score %p to severity Unknown and no title',
    (score) => {
      expect([indicatorTitleOfScore(score), severityOfScore(score)]).toEqual([
        undefined,
        'Unknown',
      ]);
    },
  );
});

describe('dispositionOfVerdict', () => {
  it.each([
    ['KNOWN', 1, 'Clean'],
    ['MALICIOUS', 2, 'Malicious'],
    ['REMEDIATED', 2, 'Malicious'],
    ['SUSPICIOUS', 3, 'Suspicious'],
    ['UNKNOWN', 5, 'Unknown'],
    ['malicious', 5, 'Unknown'],
    [' KNOWN', 5, 'Unknown'],
    ['CLEAN', 5, 'Unknown'],
    ['', 5, 'Unknown'],
    [undefined, 5, 'Unknown'],
    [null, 5, 'Unknown'],
    [2, 5, 'Unknown'],
    [{ verdict: 'KNOWN' }, 5, 'Unknown'],
  ])('maps %p to %i %s', (verdict, disposition, disposition_name) => {
    expect(dispositionOfVerdict(verdict)).toEqual({ disposition, disposition_name });
  });

  it('hands out a fresh object, so callers cannot corrupt the table', () => {
    const first = dispositionOfVerdict('KNOWN') as { disposition: number };
    first.disposition = 5;
    expect(dispositionOfVerdict('KNOWN')).toEqual({ disposition: 1, disposition_name: 'Clean' });
  });
});
