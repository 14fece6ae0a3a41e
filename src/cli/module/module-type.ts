import { DEFAULT_JWKS_HOSTS } from '../../config/relay-config.js';
import { RELAY_ROUTES } from '../../relay/relay-routes.js';
import { checkServiceUrl } from './api-url.js';
import { RELAY_SUPPORTED_APIS } from './supported-apis.js';

/**
 * Spec §10: the XDR module type (JWKS mode). XDR offers the integration from
 * it, asks the analyst for the `configuration_spec` values and sends them to
 * the relay inside an RS256 configuration token signed for the relay's URL.
 */
export interface ModuleType {
  title: string;
  default_name: string;
  short_description: string;
  description: string;
  tips: string;
  external_references: { label: string; link: string }[];
  configuration_spec: ConfigurationField[];
  capabilities: { id: string; description: string }[];
  properties: {
    'supported-apis': string[];
    'auth-type': 'configuration-token';
    'configuration-token-alg': 'RS256';
    'configuration-token-audience': string;
    custom_jwks_host: string;
    url: string;
  };
  logo: string;
}

export interface ConfigurationField {
  key: string;
  type: 'string' | 'password' | 'integer';
  label: string;
  tooltip: string;
  required: boolean;
}

export interface ModuleTypeOptions {
  /** The relay's public URL: where XDR calls it, and the tokens' audience. */
  url: string;
  /** Where the relay fetches XDR's signing keys: the region's visibility host. */
  jwksHost: string;
}

/** Named apart from Cisco's own Qualys IOC integration, so XDR shows both without confusion. */
export const MODULE_TYPE_TITLE = 'Qualys IOC Relay';
export const DEFAULT_JWKS_HOST = 'visibility.amp.cisco.com';

const JWKS_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

export class ModuleTypeOptionError extends Error {
  override readonly name = 'ModuleTypeOptionError';
}

/**
 * The capabilities XDR shows, each tied to the relay route that provides it.
 * Response is served (and registered) but answers nothing, so it is not
 * advertised.
 */
const CAPABILITIES: { route: keyof typeof RELAY_ROUTES; description: string }[] = [
  { route: 'health', description: 'Checks the Qualys IOC credentials and that Qualys answers.' },
  {
    route: 'observe',
    description:
      'Searches Qualys IOC endpoint events for an observable and returns sightings, indicators, judgements and relationships.',
  },
  {
    route: 'refer',
    description: 'Pivots from an observable to a search in the Qualys IOC console.',
  },
  {
    route: 'deliberate',
    description:
      'Gives a verdict on an MD5 or SHA-256 from the judgements of the Qualys IOC events of that file.',
  },
];

// A plain mark (a rounded square and "IOC"), drawn for this project.
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="48" height="48">' +
  '<rect x="2" y="2" width="44" height="44" rx="8" fill="none" stroke="#2e8be0" stroke-width="2"/>' +
  '<text x="24" y="29" font-family="Arial, sans-serif" font-size="14" font-weight="bold" fill="#2e8be0" text-anchor="middle">IOC</text>' +
  '</svg>';

/** Checks the generator's options; the messages name the option. */
export function checkModuleTypeOptions(
  url: string | undefined,
  jwksHost: string,
): ModuleTypeOptions {
  if (url === undefined || url.trim() === '') {
    throw new ModuleTypeOptionError("--url (the relay's public URL) is required.");
  }
  const host = jwksHost.trim().toLowerCase();
  if (!JWKS_HOST.test(host)) throw new ModuleTypeOptionError('--jwks-host must be a host name.');
  try {
    return { url: checkServiceUrl(url.trim(), '--url'), jwksHost: host };
  } catch (error) {
    throw new ModuleTypeOptionError((error as Error).message);
  }
}

/**
 * The relay accepts keys only from `JWKS_HOST_ALLOWLIST` (spec §3): a warning
 * when the module type would name another host, read from the same variable
 * and default the relay uses. Undefined when the host is allowed.
 */
export function jwksHostWarning(
  jwksHost: string,
  env: Record<string, string | undefined>,
): string | undefined {
  const configured = env.JWKS_HOST_ALLOWLIST?.trim();
  const allowlist = configured
    ? configured.split(',').map((host) => host.trim().toLowerCase())
    : DEFAULT_JWKS_HOSTS;
  if (allowlist.includes(jwksHost)) return undefined;
  return `Warning: ${jwksHost} is not on the relay's JWKS_HOST_ALLOWLIST (${allowlist.join(', ')}); add it there, or the relay will refuse XDR's tokens.`;
}

/** The module type for a relay at `options.url`: a pure function of the options and the route table. */
export function buildModuleType(options: ModuleTypeOptions): ModuleType {
  return {
    title: MODULE_TYPE_TITLE,
    default_name: 'Qualys IOC',
    short_description:
      'Sightings, indicators and judgements from Qualys IOC (EDR) endpoint events, through a relay you host.',
    description:
      'Qualys IOC (Indication of Compromise) records file, process, network and mutex activity on your endpoints. ' +
      'This relay searches those events, active and historical, for the observables of an investigation and answers ' +
      'with CTIM sightings, indicators, judgements and relationships, and with links that open the same search in ' +
      'the Qualys console.\n\nThe relay runs in your own infrastructure. XDR sends it the Qualys credentials of this ' +
      'module inside a signed configuration token; the relay keeps no credentials of its own.',
    tips:
      'Before adding this module, prepare a Qualys IOC account for it:\n\n' +
      '1. In the Qualys console, open **Administration → User Management** and create a user with the **Reader** role.\n' +
      '2. Under **Roles and Scopes**, give the user the **IOC User** role and save.\n' +
      '3. Find your platform: the **API URL** is the gateway of your Qualys platform ' +
      '(e.g. `https://gateway.qg2.apps.qualys.com`) and the **Platform URL** is its console ' +
      '(e.g. `https://qualysguard.qg2.apps.qualys.com`).\n' +
      '4. Complete the form: module name, the user name and password, the API URL and the Platform URL; ' +
      'optionally an entities limit.\n' +
      '5. Click **Save**; XDR checks the module with a health call.',
    external_references: [
      {
        label: 'Qualys IOC',
        link: 'https://www.qualys.com/apps/indication-of-compromise/',
      },
      {
        label: 'Identify your Qualys platform',
        link: 'https://www.qualys.com/platform-identification/',
      },
    ],
    configuration_spec: [
      {
        key: 'custom_user',
        type: 'string',
        label: 'User name',
        tooltip: 'The Qualys IOC user name',
        required: true,
      },
      {
        key: 'custom_pass',
        type: 'password',
        label: 'Password',
        tooltip: 'The Qualys IOC password',
        required: true,
      },
      {
        key: 'custom_API_URL',
        type: 'string',
        label: 'API URL',
        tooltip:
          'The gateway URL of your Qualys platform, e.g. https://gateway.qg2.apps.qualys.com',
        required: true,
      },
      {
        key: 'custom_PLATFORM_URL',
        type: 'string',
        label: 'Platform URL',
        tooltip:
          'The console URL of your Qualys platform, e.g. https://qualysguard.qg2.apps.qualys.com',
        required: true,
      },
      {
        key: 'custom_CTR_ENTITIES_LIMIT',
        type: 'integer',
        label: 'Entities limit',
        tooltip:
          'The most sightings, indicators and judgements returned per observable (a positive integer)',
        required: false,
      },
    ],
    capabilities: CAPABILITIES.map(({ route, description }) => ({
      id: RELAY_ROUTES[route].split('/')[0],
      description,
    })),
    properties: {
      'supported-apis': [...RELAY_SUPPORTED_APIS],
      'auth-type': 'configuration-token',
      'configuration-token-alg': 'RS256',
      'configuration-token-audience': options.url,
      custom_jwks_host: options.jwksHost,
      url: options.url,
    },
    logo: `data:image/svg+xml;base64,${Buffer.from(LOGO_SVG).toString('base64')}`,
  };
}

/** How `type print` and the committed example render a module type. */
export function serializeModuleType(moduleType: ModuleType): string {
  return `${JSON.stringify(moduleType, null, 2)}\n`;
}
