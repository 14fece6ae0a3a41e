/**
 * Named examples for the OpenAPI document (Swagger UI's example picker).
 * The observable values are those of the bundled Qualys simulator's data set,
 * so "Try it out" against `npm run demo` finds events; the entities are what
 * the relay answers for the first of those events.
 */
export type ApiExamples = Record<string, { summary: string; value: unknown }>;

const SHA256 = '52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786';
const DOMAIN = 'update-check.malware-c2.example.net';
const EVENT_ID = '5e1a7c01-0000-4000-8000-000000000001';
const OBSERVED = { start_time: '2024-05-14T09:12:44.000Z', end_time: '2024-05-14T09:12:44.000Z' };
const SIGHTING_ID = 'transient:sighting-374c3028-f731-40a8-b22e-1f524aa074ce';
const INDICATOR_ID = 'transient:indicator-eaa52aaf-1edc-5bed-b24b-d1329ba94d1f';
const JUDGEMENT_ID = 'transient:judgement-7112b908-af10-4935-bfe9-e51d55b62a6c';
const CLEAN_SHA256 = '3b066804f6d1d077173cfe4d06002e6a61e6f21c2b2e648417962115f1afcd8e';
/** When Qualys answered the searches, and an hour later (VERDICT_VALID_SEC's default). */
const VERDICT_VALID = {
  start_time: '2024-05-14T10:02:31.417Z',
  end_time: '2024-05-14T11:02:31.417Z',
};

const envelope = (code: string, message: string) => ({
  errors: [{ type: 'fatal', code, message }],
});

const MISSING_JWT = {
  summary: 'No or a bad JWT',
  value: envelope('authorization error', 'Authorization failed: Authorization header is missing'),
};

export const TOO_MANY_REQUESTS_EXAMPLE = envelope(
  'too many requests',
  'Too many requests. Please try again later.',
);

export const OBSERVABLES_REQUEST_EXAMPLES: ApiExamples = {
  fileAndDomain: {
    summary: 'A SHA-256 and a domain',
    value: [
      { type: 'sha256', value: SHA256 },
      { type: 'domain', value: DOMAIN },
    ],
  },
  ip: { summary: 'An IP address', value: [{ type: 'ip', value: '203.0.113.66' }] },
  unsupported: {
    summary: 'An unsupported type is skipped silently',
    value: [{ type: 'url', value: 'https://example.com/' }],
  },
};

const SIGHTING = {
  id: SIGHTING_ID,
  type: 'sighting',
  schema_version: '1.0.17',
  source: 'Qualys IOC',
  confidence: 'High',
  count: 1,
  sensor: 'endpoint',
  external_ids: [EVENT_ID],
  external_references: [],
  observables: [{ type: 'sha256', value: SHA256 }],
  observed_time: OBSERVED,
  description: `A Qualys IOC event related to "${SHA256}"`,
  severity: 'High',
  targets: [
    {
      type: 'endpoint',
      observables: [
        { type: 'hostname', value: 'FIN-LT-0042' },
        { type: 'ip', value: '10.12.4.21' },
        { type: 'mac_address', value: '00:50:56:a1:3c:07' },
      ],
      observed_time: OBSERVED,
      os: 'Microsoft Windows 10 Enterprise 22H2 64-bit N/A Build 19045',
    },
  ],
  relations: [
    {
      origin: 'Qualys IOC',
      relation: 'File_Name_Of',
      source: { type: 'file_name', value: 'invoice_2024.exe' },
      related: { type: 'sha256', value: SHA256 },
    },
  ],
  data: { columns: [{ name: 'Active', type: 'string' }], rows: [['True']], row_count: 1 },
};

const INDICATOR = {
  id: INDICATOR_ID,
  type: 'indicator',
  schema_version: '1.0.17',
  source: 'Qualys IOC',
  producer: 'Qualys IOC',
  confidence: 'High',
  severity: 'High',
  valid_time: {},
  external_ids: [EVENT_ID],
  title: 'Malicious File event',
};

const JUDGEMENT = {
  id: JUDGEMENT_ID,
  type: 'judgement',
  schema_version: '1.0.17',
  source: 'Qualys IOC',
  confidence: 'High',
  priority: 90,
  observable: { type: 'sha256', value: SHA256 },
  severity: 'High',
  disposition: 2,
  disposition_name: 'Malicious',
  reason: 'Trojan.GenericKD.46542',
  valid_time: {},
  external_ids: [EVENT_ID],
  external_references: [],
};

const relationship = (
  id: string,
  source_ref: string,
  target_ref: string,
  relationship_type: string,
) => ({
  id: `transient:relationship-${id}`,
  type: 'relationship',
  schema_version: '1.0.17',
  source: 'Qualys IOC',
  source_ref,
  target_ref,
  relationship_type,
  external_ids: [],
});

const verdict = (value: string, disposition: number, name: string) => ({
  type: 'verdict',
  observable: { type: 'sha256', value },
  disposition,
  disposition_name: name,
  valid_time: VERDICT_VALID,
});

const docs = (...items: unknown[]) => ({ count: items.length, docs: items });

export const OBSERVE_EXAMPLES: ApiExamples = {
  found: {
    summary: 'One Qualys event: a sighting, its indicator, a judgement and their relationships',
    value: {
      data: {
        sightings: docs(SIGHTING),
        indicators: docs(INDICATOR),
        judgements: docs(JUDGEMENT),
        relationships: docs(
          relationship(
            '58a961c0-e5c0-45ad-a972-ea9a3484fb1c',
            JUDGEMENT_ID,
            INDICATOR_ID,
            'based-on',
          ),
          relationship(
            '0b7e4c52-2d7f-4f0e-9a4e-3f5c1d2b8e61',
            SIGHTING_ID,
            JUDGEMENT_ID,
            'based-on',
          ),
          relationship(
            'c2f1d9a4-6b3e-4c7a-8d5f-9e0a1b2c3d4e',
            SIGHTING_ID,
            INDICATOR_ID,
            'sighting-of',
          ),
        ),
        verdicts: docs({ ...verdict(SHA256, 2, 'Malicious'), judgement_id: JUDGEMENT_ID }),
      },
    },
  },
  nothingFound: { summary: 'Nothing found', value: { data: {} } },
  partialFailure: {
    summary: 'Some observables failed: their error comes with the others’ entities',
    value: {
      data: { sightings: docs(SIGHTING) },
      errors: [
        {
          type: 'fatal',
          code: 'too many requests',
          message: 'Too many requests to Qualys IOC have been made. Please try again later.',
        },
      ],
    },
  },
  badCredentials: {
    summary: 'Qualys refused the credentials carried by the JWT',
    value: envelope('authorization error', 'Authorization failed: InvalidCredentialsException'),
  },
  invalidBody: {
    summary: 'Invalid request body',
    value: envelope(
      'invalid argument',
      'Invalid JSON payload received. [0].value must not be empty',
    ),
  },
  missingJwt: MISSING_JWT,
};

export const REFER_EXAMPLES: ApiExamples = {
  links: {
    summary: 'One pivot link per supported observable',
    value: {
      data: [
        {
          id: `ref-qualys-search-sha256-${SHA256}`,
          title: 'Search for this SHA256',
          description: 'Check this SHA256 status with Qualys',
          url: `https://qualysguard.qg2.apps.qualys.com/ioc/#/hunting?search=file.hash.sha256%3A%20%22${SHA256}%22`,
          categories: ['Search', 'Qualys'],
        },
        {
          id: `ref-qualys-search-domain-${DOMAIN}`,
          title: 'Search for this domain',
          description: 'Check this domain status with Qualys',
          url: `https://qualysguard.qg2.apps.qualys.com/ioc/#/hunting?search=network.remote.address.fqdn%3A%20%22${DOMAIN}%22`,
          categories: ['Search', 'Qualys'],
        },
      ],
    },
  },
  missingJwt: MISSING_JWT,
};

export const HEALTH_EXAMPLES: ApiExamples = {
  ok: { summary: 'Qualys accepted the credentials', value: { data: { status: 'ok' } } },
  badCredentials: {
    summary: 'Qualys refused the credentials carried by the JWT',
    value: envelope('authorization error', 'Authorization failed: InvalidCredentialsException'),
  },
  unreachable: {
    summary: 'Qualys could not be reached',
    value: envelope(
      'connection error',
      'Unable to connect to Qualys IOC, validate the configured API URL: https://gateway.qg2.apps.qualys.com',
    ),
  },
  missingJwt: MISSING_JWT,
};

export const DELIBERATE_EXAMPLES: ApiExamples = {
  verdicts: {
    summary: 'A malicious and a known-good file',
    value: {
      data: {
        verdicts: docs(verdict(SHA256, 2, 'Malicious'), verdict(CLEAN_SHA256, 1, 'Clean')),
      },
    },
  },
  nothingFound: {
    summary: 'No MD5 or SHA-256 that Qualys judged',
    value: { data: {} },
  },
  partialFailure: {
    summary: 'Some searches failed: their error comes with the others’ verdicts',
    value: {
      data: { verdicts: docs(verdict(SHA256, 2, 'Malicious')) },
      errors: [
        {
          type: 'fatal',
          code: 'too many requests',
          message: 'Too many requests to Qualys IOC have been made. Please try again later.',
        },
      ],
    },
  },
  badCredentials: {
    summary: 'Qualys refused the credentials carried by the JWT',
    value: envelope('authorization error', 'Authorization failed: InvalidCredentialsException'),
  },
  missingJwt: MISSING_JWT,
};

export const RESPOND_EXAMPLES: ApiExamples = {
  ok: { summary: 'No response actions', value: { data: [] } },
  missingJwt: MISSING_JWT,
};

export const TRIGGER_EXAMPLES: ApiExamples = {
  ok: { summary: 'No action can be triggered', value: { data: { status: 'failure' } } },
  missingJwt: MISSING_JWT,
};

export const WATCHDOG_EXAMPLES: ApiExamples = {
  ok: { summary: 'The Health-Check header echoed', value: { data: 'ping' } },
  missingHeader: {
    summary: 'No Health-Check header',
    value: envelope(
      'health check failed',
      'Invalid Health-Check request: the Health-Check header is missing',
    ),
  },
};
