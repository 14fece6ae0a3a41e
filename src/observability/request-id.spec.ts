import { describe, expect, it } from '@jest/globals';
import { requestIdFrom } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['abc-123', 'trace:01HZX.9_a@b+c=', 'A'.repeat(128)])('reuses the sane id %j', (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

  it('takes the first of repeated headers', () => {
    expect(requestIdFrom(['first-id', 'second-id'])).toBe('first-id');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too long', 'A'.repeat(129)],
    ['with spaces', 'id with spaces'],
    ['with a newline', 'id\nforged log line'],
    ['with quotes', 'id"}'],
    ['starting with punctuation', '-id'],
  ])('generates a UUID when the header is %s', (_case, header) => {
    const id = requestIdFrom(header);
    expect(id).toMatch(UUID);
    expect(requestIdFrom(header)).not.toBe(id);
  });
});
