import { describe, expect, it } from '@jest/globals';
import {
  expandJson,
  expandVariables,
  InvalidPlaceholderError,
  UndefinedVariableError,
} from './expand.js';

const env = { URL: 'https://relay.example.com', JWT: 'a.b.c', _X1: 'x' };

describe('expandVariables', () => {
  it.each([
    ['${URL}', 'https://relay.example.com'],
    ['$URL', 'https://relay.example.com'],
    ['Bearer ${JWT}', 'Bearer a.b.c'],
    ['Bearer $JWT', 'Bearer a.b.c'],
    ['${URL}/qualys', 'https://relay.example.com/qualys'],
    ['$_X1-$_X1', 'x-x'],
    ['cost: $$5', 'cost: $5'],
    ['no variables', 'no variables'],
  ])('%s → %s', (text, expected) => {
    expect(expandVariables(text, env)).toBe(expected);
  });

  it('names an undefined variable and where it is used', () => {
    const attempt = () =>
      expandVariables('Bearer ${MISSING}', env, 'settings.authorization-header');
    expect(attempt).toThrow(UndefinedVariableError);
    expect(attempt).toThrow(
      'the environment variable MISSING (used by settings.authorization-header) is not set',
    );
  });

  it('treats an empty variable as undefined', () => {
    expect(() => expandVariables('$EMPTY', { EMPTY: '' })).toThrow(
      'the environment variable EMPTY (used by the value) is not set',
    );
  });

  it.each(['price $5', 'a $ b', 'end $', '${not closed', '${1X}'])(
    'refuses the stray $ in %j without quoting the text',
    (text) => {
      const attempt = () => expandVariables(text, env, 'name');
      expect(attempt).toThrow(InvalidPlaceholderError);
      expect(attempt).toThrow(
        'name holds a $ that starts no $NAME or ${NAME} (write $$ for a dollar sign)',
      );
    },
  );

  it('does not expand a value taken from the environment again', () => {
    expect(expandVariables('$A', { A: '$B', B: 'no' })).toBe('$B');
  });
});

describe('expandJson', () => {
  it('expands every string, at any depth, and leaves keys and other values alone', () => {
    expect(
      expandJson(
        { $URL: '$URL', n: 1, ok: true, none: null, list: ['${JWT}', { deep: '$URL' }] },
        env,
      ),
    ).toEqual({
      $URL: 'https://relay.example.com',
      n: 1,
      ok: true,
      none: null,
      list: ['a.b.c', { deep: 'https://relay.example.com' }],
    });
  });

  it('names the JSON path of the failing string', () => {
    expect(() => expandJson({ settings: { 'supported-apis': ['ok', '$NOPE'] } }, env)).toThrow(
      'the environment variable NOPE (used by settings.supported-apis[1]) is not set',
    );
  });
});
