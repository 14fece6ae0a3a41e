import { describe, expect, it } from '@jest/globals';
import { InvalidArgumentError } from '../common/relay-error.js';
import { configServiceOf, testRelayConfig } from '../../test/support/jwt-test-config.js';
import { ObservablesPipe } from './observables.pipe.js';

const pipe = new ObservablesPipe(configServiceOf(testRelayConfig()));

describe('ObservablesPipe (spec §2)', () => {
  it('accepts an empty array', () => {
    expect(pipe.transform([])).toEqual([]);
  });

  it.each([null, {}, 'ip', 7])('refuses a body that is not an array: %p', (body) => {
    expect(() => pipe.transform(body)).toThrow(
      new InvalidArgumentError('The request body must be a JSON array of observables.'),
    );
  });

  it('refuses more observables than RELAY_MAX_OBSERVABLES, before looking at any', () => {
    const small = new ObservablesPipe(configServiceOf({ ...testRelayConfig(), maxObservables: 2 }));
    const three = [{ type: 'ip', value: '1.2.3.4' }, null, { type: 7 }];
    expect(() => small.transform(three)).toThrow(
      new InvalidArgumentError('At most 2 observables are accepted per request; got 3.'),
    );
    expect(small.transform(three.slice(0, 1))).toEqual([{ type: 'ip', value: '1.2.3.4' }]);
  });

  it('names items that are not objects, and missing fields', () => {
    expect(() => pipe.transform([null, ['ip', '1.2.3.4'], 'ip', { type: 'ip' }])).toThrow(
      new InvalidArgumentError(
        '[0] must be an object with type and value; [1] must be an object with type and value; ' +
          '[2] must be an object with type and value; [3].value is required',
      ),
    );
  });

  it('lists five problems and counts the rest', () => {
    const bad = Array.from({ length: 8 }, () => ({ type: 'ip', value: '' }));
    expect(() => pipe.transform(bad)).toThrow(
      new InvalidArgumentError(
        '[0].value must not be empty; [1].value must not be empty; [2].value must not be empty; ' +
          '[3].value must not be empty; [4].value must not be empty (and 3 more)',
      ),
    );
  });

  it('keeps well-formed strings, surrogate pairs included, and drops extra keys', () => {
    expect(
      pipe.transform([
        { type: 'file_name', value: 'a\ud83d\ude00b.exe', extra: 1 },
        { type: 'domain', value: 'bücher.example' },
      ]),
    ).toEqual([
      { type: 'file_name', value: 'a\ud83d\ude00b.exe' },
      { type: 'domain', value: 'bücher.example' },
    ]);
  });

  it('names every item whose type or value holds a lone surrogate', () => {
    expect(() =>
      pipe.transform([
        { type: 'ip', value: 'a\ud800b' },
        { type: 'ip', value: 'fine' },
        { type: '\udfff', value: 'x' },
        { type: 'md5', value: 'ends with a high surrogate \ud83d' },
      ]),
    ).toThrow(
      new InvalidArgumentError(
        '[0].value must be well-formed Unicode (no lone surrogates); ' +
          '[2].type must be well-formed Unicode (no lone surrogates); ' +
          '[3].value must be well-formed Unicode (no lone surrogates)',
      ),
    );
  });

  it('reports an empty or non-string value before its Unicode', () => {
    expect(() =>
      pipe.transform([
        { type: 'ip', value: '' },
        { type: 7, value: 'x' },
      ]),
    ).toThrow(new InvalidArgumentError('[0].value must not be empty; [1].type must be a string'));
  });

  it('ignores a deeply nested extra key without walking it', () => {
    let extra: unknown = 1;
    for (let depth = 0; depth < 100_000; depth++) extra = { a: [extra] };
    expect(pipe.transform([{ type: 'ip', value: '1.2.3.4', extra }])).toEqual([
      { type: 'ip', value: '1.2.3.4' },
    ]);
  });

  it('refuses a deeply nested value as not a string', () => {
    let value: unknown = 'x';
    for (let depth = 0; depth < 100_000; depth++) value = [value];
    expect(() => pipe.transform([{ type: 'ip', value }])).toThrow(
      new InvalidArgumentError('[0].value must be a string'),
    );
  });
});
