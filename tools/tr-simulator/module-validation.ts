import { isThreatResponseApi } from '../../src/cli/module/supported-apis.js';

/**
 * What the simulated Threat Response API accepts as a module instance or a
 * module type (spec §10): required fields, `auth-type` values and
 * `supported-apis` values. Each check answers the first problem, or
 * undefined when the document is acceptable.
 */
const INSTANCE_AUTH_TYPES = ['authorization-header', 'configuration-token'];
const VISIBILITIES = ['org', 'user'];
const FIELD_TYPES = ['string', 'password', 'integer', 'boolean'];

export function moduleInstanceProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a module instance must be a JSON object';
  for (const key of ['name', 'module_type_id']) {
    if (!nonEmptyString(value[key])) return `${key} must be a non-empty string`;
  }
  if (!VISIBILITIES.includes(value.visibility as string)) {
    return `visibility must be one of ${VISIBILITIES.join(', ')}`;
  }
  const settings = value.settings;
  if (!isRecord(settings)) return 'settings must be an object';
  if (!httpUrl(settings.url)) return 'settings.url must be an http(s) URL';
  const authType = settings['auth-type'];
  if (!INSTANCE_AUTH_TYPES.includes(authType as string)) {
    return `settings.auth-type must be one of ${INSTANCE_AUTH_TYPES.join(', ')}`;
  }
  if (authType === 'authorization-header' && !nonEmptyString(settings['authorization-header'])) {
    return 'settings.authorization-header is required with auth-type authorization-header';
  }
  return supportedApisProblem(settings['supported-apis'], 'settings.supported-apis');
}

export function moduleTypeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a module type must be a JSON object';
  for (const key of ['title', 'default_name', 'short_description', 'description']) {
    if (!nonEmptyString(value[key])) return `${key} must be a non-empty string`;
  }
  const spec = value.configuration_spec;
  if (!Array.isArray(spec)) return 'configuration_spec must be a list';
  const badField = spec.findIndex(
    (field) =>
      !isRecord(field) ||
      !nonEmptyString(field.key) ||
      !nonEmptyString(field.label) ||
      !FIELD_TYPES.includes(field.type as string),
  );
  if (badField >= 0) {
    return `configuration_spec[${badField}] needs a key, a label and a type (${FIELD_TYPES.join(', ')})`;
  }
  const capabilities = value.capabilities;
  if (
    !Array.isArray(capabilities) ||
    capabilities.some((c) => !isRecord(c) || !nonEmptyString(c.id))
  ) {
    return 'capabilities must be a list of {id, description}';
  }
  const properties = value.properties;
  if (!isRecord(properties)) return 'properties must be an object';
  if (!httpUrl(properties.url)) return 'properties.url must be an http(s) URL';
  if (properties['auth-type'] === 'configuration-token') {
    if (properties['configuration-token-alg'] !== 'RS256') {
      return 'properties.configuration-token-alg must be RS256';
    }
    if (!nonEmptyString(properties['configuration-token-audience'])) {
      return 'properties.configuration-token-audience is required with auth-type configuration-token';
    }
    if (!nonEmptyString(properties.custom_jwks_host)) {
      return 'properties.custom_jwks_host is required with auth-type configuration-token';
    }
  } else if (properties['auth-type'] !== 'authorization-header') {
    return `properties.auth-type must be one of ${INSTANCE_AUTH_TYPES.join(', ')}`;
  }
  return supportedApisProblem(properties['supported-apis'], 'properties.supported-apis');
}

function supportedApisProblem(value: unknown, name: string): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return `${name} must be a non-empty list`;
  const apis: unknown[] = value;
  const bad = apis.find((api) => !isThreatResponseApi(api));
  if (bad !== undefined) return `${name}: ${JSON.stringify(bad)} is not a supported API`;
  return undefined;
}

function httpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
