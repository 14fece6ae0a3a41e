import { parseArgs } from 'node:util';
import { resolveApiBaseUrl, UrlPolicyError } from './api-url.js';
import {
  checkModuleTypeOptions,
  DEFAULT_JWKS_HOST,
  ModuleTypeOptionError,
  type ModuleTypeOptions,
} from './module-type.js';
import { DEFAULT_SETTINGS_FILE } from './settings-file.js';

/** Where the API calls go, and how long one may take. */
export interface ApiTarget {
  baseUrl: string;
  timeoutMs: number;
}

export type InstanceAction = 'add' | 'edit' | 'apply' | 'remove';

export type ModuleCommand =
  | { kind: 'help'; text: string }
  | {
      kind: 'instance';
      action: InstanceAction;
      settingsPath: string;
      dryRun: boolean;
      api: ApiTarget;
    }
  | { kind: 'type-print'; moduleType: ModuleTypeOptions }
  | {
      kind: 'type';
      action: 'create' | 'update';
      moduleType: ModuleTypeOptions;
      id?: string;
      dryRun: boolean;
      api: ApiTarget;
    }
  | { kind: 'type'; action: 'delete'; id?: string; dryRun: boolean; api: ApiTarget };

/** A usage problem: the message says which; `usage` is the help of the command concerned. */
export class ModuleCliUsageError extends Error {
  override readonly name = 'ModuleCliUsageError';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

const API_NOTE = `The API client comes from TR_API_CLIENT_ID and TR_API_CLIENT_PASSWORD (else the CLI asks);
the API from TR_API_URL, else --region, else TR_API_REGION (us, eu, apjc; default us).`;

export const MODULE_CLI_USAGE = `usage: npm run module -- <command> [options]

Relay module instance (self-hosted relay, secret mode):
  add            create the relay module described by the settings file
  edit           update it, sending only what differs from Threat Response's copy
  apply          add it when it does not exist, else edit it (for deploy pipelines)
  remove         delete it
XDR module type (JWKS mode):
  type print     print the module type (module_type.json) on stdout
  type create    create it in XDR
  type update    update it, sending only what differs (found by title, or --id)
  type delete    delete it (found by title, or --id)

Run "npm run module -- <command> --help" for its options.
${API_NOTE}`;

const REGION_HELP = '  --region REGION   us, eu or apjc (TR_API_URL, when set, wins)';
const DRY_RUN_HELP =
  '  --dry-run         log in and read only; print the write it would send, secrets masked';
const TYPE_HELP = `  --url URL         the relay's public URL (required): where XDR calls it, and the token audience
  --jwks-host HOST  where the relay fetches XDR's keys (default ${DEFAULT_JWKS_HOST})`;

const INSTANCE_SUMMARY: Record<InstanceAction, string> = {
  add: 'Creates the relay module instance; fails if one with the same name and module_type_id exists.',
  edit: "Updates the relay module instance, sending only the top-level keys that differ from Threat Response's copy; nothing to change is success.",
  apply:
    'Creates the relay module instance when none with the same name and module_type_id exists, else updates it as edit does.',
  remove: 'Deletes the relay module instance with the same name and module_type_id.',
};

function instanceUsage(action: InstanceAction): string {
  return `usage: npm run module -- ${action} [--settings FILE] [--region REGION] [--dry-run]
${INSTANCE_SUMMARY[action]}
  --settings FILE   relay settings (default ${DEFAULT_SETTINGS_FILE}); $VAR and \${VAR} come from the environment
${REGION_HELP}
${DRY_RUN_HELP}
${API_NOTE}`;
}

const TYPE_USAGES = {
  print: `usage: npm run module -- type print --url URL [--jwks-host HOST]
Prints the XDR module type for the relay at URL (save it as module_type.json). Needs no API access.
${TYPE_HELP}`,
  create: `usage: npm run module -- type create --url URL [--jwks-host HOST] [--region REGION] [--dry-run]
Creates the XDR module type; fails if one with the same title exists.
${TYPE_HELP}
${REGION_HELP}
${DRY_RUN_HELP}
${API_NOTE}`,
  update: `usage: npm run module -- type update --url URL [--jwks-host HOST] [--id ID] [--region REGION] [--dry-run]
Updates the XDR module type (found by title, or by --id), sending only the top-level keys that differ; nothing to change is success.
${TYPE_HELP}
  --id ID           the module type's id, when the title does not find it
${REGION_HELP}
${DRY_RUN_HELP}
${API_NOTE}`,
  delete: `usage: npm run module -- type delete [--id ID] [--region REGION] [--dry-run]
Deletes the XDR module type (found by title, or by --id).
  --id ID           the module type's id, when the title does not find it
${REGION_HELP}
${DRY_RUN_HELP}
${API_NOTE}`,
} as const;

type TypeSubcommand = keyof typeof TYPE_USAGES;

/** Spec §10: client credentials are refused as arguments (any local user can read argv with ps). */
const CREDENTIAL_OPTION =
  /^(-[ip]|--(client[-_]?(id|password|secret)|password|passwd|secret))(=|$)/i;
export const CREDENTIALS_AS_ARGUMENTS =
  'Client credentials are never read from arguments (other users of this machine can see them): set TR_API_CLIENT_ID and TR_API_CLIENT_PASSWORD, or let the CLI ask for them.';

const COMMON = {
  help: { type: 'boolean' },
  region: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;
const TYPE_DOCUMENT = { url: { type: 'string' }, 'jwks-host': { type: 'string' } } as const;

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Reads the module CLI's arguments and the environment it depends on into a
 * command; throws `ModuleCliUsageError` for anything it cannot run.
 */
export function parseModuleArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): ModuleCommand {
  const [command, ...rest] = argv;
  if (argv.some((arg) => CREDENTIAL_OPTION.test(arg))) {
    throw new ModuleCliUsageError(CREDENTIALS_AS_ARGUMENTS, usageFor(command, rest[0]));
  }
  if (command === undefined)
    throw new ModuleCliUsageError('A command is required.', MODULE_CLI_USAGE);
  if (command === '--help' || command === '-h' || command === 'help') {
    return { kind: 'help', text: MODULE_CLI_USAGE };
  }
  if (isInstanceAction(command)) {
    return parseInstance(command, rest, env);
  }
  if (command === 'type') return parseType(rest, env);
  throw new ModuleCliUsageError(`Unknown command "${command}".`, MODULE_CLI_USAGE);
}

function isInstanceAction(command: string): command is InstanceAction {
  return Object.hasOwn(INSTANCE_SUMMARY, command);
}

function parseInstance(
  action: InstanceAction,
  argv: string[],
  env: Record<string, string | undefined>,
): ModuleCommand {
  const usage = instanceUsage(action);
  const values = read(argv, { ...COMMON, settings: { type: 'string' } }, usage);
  if (values.help === true) return { kind: 'help', text: usage };
  return {
    kind: 'instance',
    action,
    settingsPath: values.settings ?? DEFAULT_SETTINGS_FILE,
    dryRun: values['dry-run'] === true,
    api: apiTarget(values.region, env, usage),
  };
}

function parseType(argv: string[], env: Record<string, string | undefined>): ModuleCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    const text = `${TYPE_USAGES.print}\n\n${TYPE_USAGES.create}\n\n${TYPE_USAGES.update}\n\n${TYPE_USAGES.delete}`;
    if (sub === undefined)
      throw new ModuleCliUsageError(
        'type needs a subcommand: print, create, update or delete.',
        text,
      );
    return { kind: 'help', text };
  }
  if (!Object.hasOwn(TYPE_USAGES, sub)) {
    throw new ModuleCliUsageError(`Unknown type subcommand "${sub}".`, MODULE_CLI_USAGE);
  }
  const action = sub as TypeSubcommand;
  const usage = TYPE_USAGES[action];
  if (action === 'print') {
    const values = read(rest, { help: COMMON.help, ...TYPE_DOCUMENT }, usage);
    if (values.help === true) return { kind: 'help', text: usage };
    return { kind: 'type-print', moduleType: moduleTypeOptions(values, usage) };
  }
  if (action === 'delete') {
    const values = read(rest, { ...COMMON, id: { type: 'string' } }, usage);
    if (values.help === true) return { kind: 'help', text: usage };
    return {
      kind: 'type',
      action,
      ...optionalId(values.id, usage),
      dryRun: values['dry-run'] === true,
      api: apiTarget(values.region, env, usage),
    };
  }
  const values = read(rest, { ...COMMON, ...TYPE_DOCUMENT, id: { type: 'string' } }, usage);
  if (values.help === true) return { kind: 'help', text: usage };
  if (action === 'create' && values.id !== undefined) {
    throw new ModuleCliUsageError('--id applies to type update and type delete only.', usage);
  }
  return {
    kind: 'type',
    action,
    moduleType: moduleTypeOptions(values, usage),
    ...optionalId(values.id, usage),
    dryRun: values['dry-run'] === true,
    api: apiTarget(values.region, env, usage),
  };
}

type OptionSpec = Record<string, { type: 'string' } | { type: 'boolean' }>;
type Values<T extends OptionSpec> = {
  [K in keyof T]?: T[K] extends { type: 'boolean' } ? boolean : string;
};

function read<T extends OptionSpec>(argv: string[], options: T, usage: string): Values<T> {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values;
  } catch (error) {
    throw new ModuleCliUsageError(`${(error as Error).message}.`, usage);
  }
}

function moduleTypeOptions(
  values: { url?: string; 'jwks-host'?: string },
  usage: string,
): ModuleTypeOptions {
  try {
    return checkModuleTypeOptions(values.url, values['jwks-host'] ?? DEFAULT_JWKS_HOST);
  } catch (error) {
    if (!(error instanceof ModuleTypeOptionError)) throw error;
    throw new ModuleCliUsageError(error.message, usage);
  }
}

function optionalId(id: string | undefined, usage: string): { id?: string } {
  if (id === undefined) return {};
  if (id.trim() === '') throw new ModuleCliUsageError('--id must not be empty.', usage);
  return { id: id.trim() };
}

function apiTarget(
  region: string | undefined,
  env: Record<string, string | undefined>,
  usage: string,
): ApiTarget {
  let baseUrl: string;
  try {
    baseUrl = resolveApiBaseUrl(region, env);
  } catch (error) {
    if (!(error instanceof UrlPolicyError)) throw error;
    throw new ModuleCliUsageError(error.message, usage);
  }
  const timeout = env.TR_API_TIMEOUT_MS?.trim();
  if (timeout === undefined || timeout === '') return { baseUrl, timeoutMs: DEFAULT_TIMEOUT_MS };
  const timeoutMs = /^\d+$/.test(timeout) ? Number(timeout) : Number.NaN;
  if (!(timeoutMs >= 100 && timeoutMs <= 600_000)) {
    throw new ModuleCliUsageError(
      'TR_API_TIMEOUT_MS must be an integer from 100 to 600000.',
      usage,
    );
  }
  return { baseUrl, timeoutMs };
}

function usageFor(command: string | undefined, sub: string | undefined): string {
  if (command !== undefined && isInstanceAction(command)) return instanceUsage(command);
  if (command === 'type' && sub !== undefined && Object.hasOwn(TYPE_USAGES, sub)) {
    return TYPE_USAGES[sub as TypeSubcommand];
  }
  return MODULE_CLI_USAGE;
}
