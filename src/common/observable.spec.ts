import { describe, expect, it } from '@jest/globals';
import { isSupportedObservableType, uniqueSupportedObservables } from './observable.js';

describe('isSupportedObservableType (spec §4)', () => {
  it('accepts exactly the seven searchable types', () => {
    const candidates = [
      'md5',
      'sha256',
      'file_name',
      'file_path',
      'ip',
      'domain',
      'mutex',
      'sha1',
      'url',
      'IP',
      '',
    ];
    expect(candidates.filter(isSupportedObservableType)).toEqual([
      'md5',
      'sha256',
      'file_name',
      'file_path',
      'ip',
      'domain',
      'mutex',
    ]);
  });
});

describe('uniqueSupportedObservables', () => {
  it('keeps the first occurrence of each supported observable, in request order', () => {
    expect(
      uniqueSupportedObservables([
        { type: 'ip', value: '198.51.100.7' },
        { type: 'url', value: 'https://example.com/' },
        { type: 'domain', value: 'example.com' },
        { type: 'ip', value: '198.51.100.7' },
        { type: 'ip', value: '198.51.100.8' },
      ]),
    ).toEqual([
      { type: 'ip', value: '198.51.100.7' },
      { type: 'domain', value: 'example.com' },
      { type: 'ip', value: '198.51.100.8' },
    ]);
  });

  it('treats one value under two types as two observables', () => {
    expect(
      uniqueSupportedObservables([
        { type: 'file_name', value: 'a.exe' },
        { type: 'file_path', value: 'a.exe' },
      ]),
    ).toEqual([
      { type: 'file_name', value: 'a.exe' },
      { type: 'file_path', value: 'a.exe' },
    ]);
  });

  it('copies only type and value', () => {
    const withExtra = { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', extra: 1 };
    expect(uniqueSupportedObservables([withExtra])).toEqual([
      { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' },
    ]);
  });

  it('answers an empty list when nothing is supported', () => {
    expect(uniqueSupportedObservables([{ type: 'email', value: 'a@example.com' }])).toEqual([]);
  });
});
