import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSettings, loadRelaySettings, SettingsFileError } from './settings-file.js';
import { RELAY_SUPPORTED_APIS } from './supported-apis.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'relay-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = { URL: 'https://relay.example.com', JWT: 'eyJh.eyJp.sig' };

const valid = {
  name: 'Qualys IOC',
  module_type_id: 'a14ae422-01b6-5013-9876-695ff1b0ebe0',
  visibility: 'org',
  settings: {
    url: 'https://relay.example.com',
    'auth-type': 'authorization-header',
    'authorization-header': 'Bearer eyJh.eyJp.sig',
    'supported-apis': ['health', 'observe/observables'],
  },
};

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('the committed relay_settings.json template', () => {
  it('expands ${URL} and ${JWT} and registers every route the relay serves', () => {
    expect(loadRelaySettings(join(ROOT, 'relay_settings.json'), env)).toEqual({
      name: 'Qualys IOC',
      module_type_id: 'a14ae422-01b6-5013-9876-695ff1b0ebe0',
      visibility: 'org',
      settings: {
        url: 'https://relay.example.com',
        'auth-type': 'authorization-header',
        'authorization-header': 'Bearer eyJh.eyJp.sig',
        'supported-apis': [...RELAY_SUPPORTED_APIS],
      },
    });
  });

  it('names the variable that is not set', () => {
    expect(() => loadRelaySettings(join(ROOT, 'relay_settings.json'), { URL: env.URL })).toThrow(
      `The settings file ${join(ROOT, 'relay_settings.json')} uses the environment variable JWT (in settings.authorization-header), which is not set.`,
    );
  });
});

describe('loadRelaySettings', () => {
  it('loads a valid file as it is', () => {
    expect(loadRelaySettings(file('ok.json', JSON.stringify(valid)), {})).toEqual(valid);
  });

  it('says when the file cannot be read', () => {
    const path = join(dir, 'missing.json');
    expect(() => loadRelaySettings(path, env)).toThrow(
      new SettingsFileError(`Cannot read the settings file ${path} (ENOENT).`),
    );
  });

  it('says the file is not JSON without quoting it', () => {
    const path = file('bad.json', '{"authorization-header": "Bearer secret-value"');
    expect(() => loadRelaySettings(path, env)).toThrow(
      new SettingsFileError(`The settings file ${path} is not valid JSON.`),
    );
  });

  it('refuses a stray $ by JSON path, without quoting the string', () => {
    const path = file('dollar.json', JSON.stringify({ ...valid, name: 'Cost $5 secret' }));
    expect(() => loadRelaySettings(path, env)).toThrow(
      `The settings file ${path} is invalid: name holds a $ that starts no $NAME or \${NAME} (write $$ for a dollar sign).`,
    );
  });

  it('checks what expansion produced', () => {
    const path = file(
      'expanded.json',
      JSON.stringify({ ...valid, settings: { ...valid.settings, url: '$URL' } }),
    );
    expect(() => loadRelaySettings(path, { URL: 'http://relay.example.com' })).toThrow(
      `The settings file ${path} is invalid: settings.url must use https (plain http only for a loopback address).`,
    );
  });
});

describe('checkSettings', () => {
  const withSettings = (settings: Record<string, unknown>) => ({
    ...valid,
    settings: { ...valid.settings, ...settings },
  });

  it('accepts a valid document, an http loopback URL, and extra settings keys', () => {
    expect(checkSettings(valid)).toBeUndefined();
    expect(checkSettings(withSettings({ url: 'http://127.0.0.1:9090', extra: 1 }))).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['an array', [], 'it must hold a JSON object'],
    [
      'an unknown key',
      { ...valid, visiblity: 'org' },
      'unknown key "visiblity" (expected name, module_type_id, visibility, settings)',
    ],
    ['no name', { ...valid, name: ' ' }, 'name must be a non-empty string'],
    [
      'no module_type_id',
      { ...valid, module_type_id: undefined },
      'module_type_id must be a non-empty string',
    ],
    ['a bad visibility', { ...valid, visibility: 'public' }, 'visibility must be one of org, user'],
    ['no settings', { ...valid, settings: 'x' }, 'settings must be an object'],
    ['no url', withSettings({ url: '' }), 'settings.url must be a non-empty string'],
    [
      'a url with credentials',
      withSettings({ url: 'https://u:p@relay.example.com' }),
      'settings.url must not carry credentials',
    ],
    [
      'another auth-type',
      withSettings({ 'auth-type': 'configuration-token' }),
      'settings.auth-type must be "authorization-header" (secret mode)',
    ],
    [
      'a header without Bearer',
      withSettings({ 'authorization-header': 'eyJh.eyJp.sig' }),
      'settings.authorization-header must be "Bearer <JWT>"',
    ],
    [
      'no supported-apis',
      withSettings({ 'supported-apis': [] }),
      'settings.supported-apis must be a non-empty list',
    ],
    [
      'an API Threat Response does not know',
      withSettings({ 'supported-apis': ['health', 'enrich'] }),
      'settings.supported-apis may only hold health, observe/observables, refer/observables, deliberate/observables, respond/observables, respond/trigger, tiles, tiles/tile, tiles/tile-data',
    ],
    [
      'an API the relay does not serve',
      withSettings({ 'supported-apis': ['tiles'] }),
      'settings.supported-apis lists "tiles", which this relay does not serve',
    ],
    [
      'a duplicate API',
      withSettings({ 'supported-apis': ['health', 'health'] }),
      'settings.supported-apis lists a value twice',
    ],
  ])('refuses %s', (_name, document, problem) => {
    expect(checkSettings(document)).toBe(problem);
  });
});
