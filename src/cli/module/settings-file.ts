import { readFileSync } from 'node:fs';
import { checkServiceUrl, UrlPolicyError } from './api-url.js';
import { expandJson, InvalidPlaceholderError, UndefinedVariableError } from './expand.js';
import {
  isThreatResponseApi,
  RELAY_SUPPORTED_APIS,
  THREAT_RESPONSE_APIS,
} from './supported-apis.js';

/** Spec §10: the relay module instance a settings file describes (after expansion). */
export interface RelayModuleSettings {
  name: string;
  module_type_id: string;
  visibility: string;
  settings: {
    url: string;
    'auth-type': 'authorization-header';
    'authorization-header': string;
    'supported-apis': string[];
    [key: string]: unknown;
  };
}

export const DEFAULT_SETTINGS_FILE = 'relay_settings.json';

/** The settings file cannot be used; the message names the file and the problem, never a value. */
export class SettingsFileError extends Error {
  override readonly name = 'SettingsFileError';
}

const TOP_LEVEL_KEYS = new Set(['name', 'module_type_id', 'visibility', 'settings']);
const VISIBILITIES = ['org', 'user'];

/**
 * Reads, expands (`$VAR`, `${VAR}` from `env`) and checks a relay settings
 * file. Checked after expansion, so what is checked is what would be sent.
 */
export function loadRelaySettings(
  path: string,
  env: Record<string, string | undefined>,
): RelayModuleSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new SettingsFileError(
      `Cannot read the settings file ${path}${typeof code === 'string' ? ` (${code})` : ''}.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which may hold a secret: not repeated.
    throw new SettingsFileError(`The settings file ${path} is not valid JSON.`);
  }
  let expanded: unknown;
  try {
    expanded = expandJson(parsed, env);
  } catch (error) {
    if (error instanceof UndefinedVariableError) {
      throw new SettingsFileError(
        `The settings file ${path} uses the environment variable ${error.variable} (in ${error.path}), which is not set.`,
      );
    }
    if (error instanceof InvalidPlaceholderError) {
      throw new SettingsFileError(`The settings file ${path} is invalid: ${error.message}.`);
    }
    throw error;
  }
  const problem = checkSettings(expanded);
  if (problem !== undefined) {
    throw new SettingsFileError(`The settings file ${path} is invalid: ${problem}.`);
  }
  return expanded as RelayModuleSettings;
}

/** The first problem of an expanded settings document, or undefined when it is usable. */
export function checkSettings(value: unknown): string | undefined {
  if (!isRecord(value)) return 'it must hold a JSON object';
  const unknownKey = Object.keys(value).find((key) => !TOP_LEVEL_KEYS.has(key));
  if (unknownKey !== undefined) {
    return `unknown key "${unknownKey}" (expected name, module_type_id, visibility, settings)`;
  }
  for (const key of ['name', 'module_type_id'] as const) {
    if (!nonEmptyString(value[key])) return `${key} must be a non-empty string`;
  }
  if (typeof value.visibility !== 'string' || !VISIBILITIES.includes(value.visibility)) {
    return `visibility must be one of ${VISIBILITIES.join(', ')}`;
  }
  const settings = value.settings;
  if (!isRecord(settings)) return 'settings must be an object';
  if (!nonEmptyString(settings.url)) return 'settings.url must be a non-empty string';
  try {
    checkServiceUrl(settings.url, 'settings.url');
  } catch (error) {
    if (error instanceof UrlPolicyError) return error.message.replace(/\.$/, '');
    throw error;
  }
  if (settings['auth-type'] !== 'authorization-header') {
    return 'settings.auth-type must be "authorization-header" (secret mode)';
  }
  const header = settings['authorization-header'];
  if (typeof header !== 'string' || !/^Bearer \S+$/.test(header)) {
    return 'settings.authorization-header must be "Bearer <JWT>"';
  }
  return checkSupportedApis(settings['supported-apis']);
}

function checkSupportedApis(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    return 'settings.supported-apis must be a non-empty list';
  }
  const apis: unknown[] = value;
  const unknownApi = apis.find((api) => !isThreatResponseApi(api));
  if (unknownApi !== undefined) {
    return `settings.supported-apis may only hold ${THREAT_RESPONSE_APIS.join(', ')}`;
  }
  const notServed = apis.find((api) => !(RELAY_SUPPORTED_APIS as readonly unknown[]).includes(api));
  if (notServed !== undefined) {
    return `settings.supported-apis lists ${JSON.stringify(notServed)}, which this relay does not serve`;
  }
  if (new Set(apis).size !== apis.length) return 'settings.supported-apis lists a value twice';
  return undefined;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
