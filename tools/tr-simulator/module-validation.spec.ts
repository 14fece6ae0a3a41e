import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { moduleTypeProblem } from './module-validation.js';

const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../module_type.example.json', import.meta.url), 'utf8'),
) as Record<string, unknown> & { properties: Record<string, unknown> };

const withProperties = (properties: Record<string, unknown>) => ({
  ...EXAMPLE,
  properties: { ...EXAMPLE.properties, ...properties },
});

describe('moduleTypeProblem', () => {
  it('accepts the committed example module type', () => {
    expect(moduleTypeProblem(EXAMPLE)).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'x', 'a module type must be a JSON object'],
    ['no title', { ...EXAMPLE, title: undefined }, 'title must be a non-empty string'],
    [
      'no configuration_spec',
      { ...EXAMPLE, configuration_spec: {} },
      'configuration_spec must be a list',
    ],
    [
      'a field of an unknown type',
      { ...EXAMPLE, configuration_spec: [{ key: 'k', label: 'l', type: 'date' }] },
      'configuration_spec[0] needs a key, a label and a type (string, password, integer, boolean)',
    ],
    [
      'capabilities without id',
      { ...EXAMPLE, capabilities: [{ description: 'd' }] },
      'capabilities must be a list of {id, description}',
    ],
    ['no properties', { ...EXAMPLE, properties: [] }, 'properties must be an object'],
    ['a bad url', withProperties({ url: 'relay' }), 'properties.url must be an http(s) URL'],
    [
      'another algorithm',
      withProperties({ 'configuration-token-alg': 'HS256' }),
      'properties.configuration-token-alg must be RS256',
    ],
    [
      'no audience',
      withProperties({ 'configuration-token-audience': '' }),
      'properties.configuration-token-audience is required with auth-type configuration-token',
    ],
    [
      'no JWKS host',
      withProperties({ custom_jwks_host: undefined }),
      'properties.custom_jwks_host is required with auth-type configuration-token',
    ],
    [
      'an unknown auth-type',
      withProperties({ 'auth-type': 'none' }),
      'properties.auth-type must be one of authorization-header, configuration-token',
    ],
    [
      'an unknown API',
      withProperties({ 'supported-apis': ['tiles', 'enrich'] }),
      'properties.supported-apis: "enrich" is not a supported API',
    ],
  ])('refuses %s', (_name, moduleType, problem) => {
    expect(moduleTypeProblem(moduleType)).toBe(problem);
  });
});
