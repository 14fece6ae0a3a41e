import type { Dispatcher } from 'undici';
import type { ApiTarget, ModuleCommand } from './args.js';
import { readClientCredentials, type Terminal } from './credentials.js';
import { changedKeys } from './diff.js';
import {
  collectionPath,
  IrohClient,
  type IrohCollection,
  type IrohRecord,
  type IrohSession,
} from './iroh-client.js';
import { maskDocument, type Redactor } from './mask.js';
import {
  buildModuleType,
  jwksHostWarning,
  MODULE_TYPE_TITLE,
  serializeModuleType,
  type ModuleTypeOptions,
} from './module-type.js';
import { loadRelaySettings } from './settings-file.js';

/** Line-oriented output; the entry point passes every line through the redactor. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export interface RunContext {
  output: CliOutput;
  env: Record<string, string | undefined>;
  terminal: Terminal;
  /** Learns every secret the run handles, so none is ever printed. */
  redactor: Redactor;
  /** The egress seam (spec §11), passed down to the one HTTP client. */
  dispatcher?: Dispatcher;
}

/** An expected refusal (`… already exists!`): printed as is, exit status 1. */
export class CommandFailureError extends Error {
  override readonly name = 'CommandFailureError';
}

/** Runs a parsed command (not `help`); throws for failures, which the entry point prints. */
export async function runModuleCommand(command: ModuleCommand, context: RunContext): Promise<void> {
  switch (command.kind) {
    case 'help':
      context.output.out(command.text);
      return;
    case 'instance':
      return runInstanceCommand(command, context);
    case 'type-print':
      warnAboutJwksHost(command.moduleType, context);
      context.output.out(serializeModuleType(buildModuleType(command.moduleType)).trimEnd());
      return;
    case 'type':
      return runTypeCommand(command, context);
  }
}

type InstanceCommand = Extract<ModuleCommand, { kind: 'instance' }>;
type TypeCommand = Extract<ModuleCommand, { kind: 'type' }>;

/**
 * Spec §10 `add` / `edit` / `apply` / `remove`: the relay module instance of
 * the settings file. `apply` is `add` when no instance matches and `edit` when
 * one does, so a deploy pipeline can run it every time.
 */
async function runInstanceCommand(command: InstanceCommand, context: RunContext): Promise<void> {
  const desired = loadRelaySettings(command.settingsPath, context.env);
  const header = desired.settings['authorization-header'];
  context.redactor.add(header);
  context.redactor.add(header.replace(/^Bearer /, ''));

  const session = await logIn(command.api, context);
  const label = `Relay module "${desired.name}"`;
  const matches = (await session.list('module-instance')).filter(
    (instance) =>
      instance.name === desired.name && instance.module_type_id === desired.module_type_id,
  );
  const write = writer(session, command.api, 'module-instance', command.dryRun, context);
  const action =
    command.action === 'apply' ? (matches.length === 0 ? 'add' : 'edit') : command.action;

  if (action === 'add') {
    if (matches.length > 0) throw new CommandFailureError(`${label} already exists!`);
    await write.create(desired);
    if (!command.dryRun) context.output.out(`${label} has been successfully added!`);
    return;
  }
  const current = single(matches, label);
  if (action === 'edit') {
    const changes = changedKeys({ ...desired }, current);
    // Spec §10: nothing to change is success, so `edit` can run on every deploy.
    if (Object.keys(changes).length === 0) {
      context.output.out(`${label} has not been changed!`);
      return;
    }
    await write.patch(current.id, changes);
    if (!command.dryRun) context.output.out(`${label} has been successfully edited!`);
    return;
  }
  await write.remove(current.id);
  if (!command.dryRun) context.output.out(`${label} has been successfully removed!`);
}

/** Spec §10 `type create` / `update` / `delete`: the XDR module type. */
async function runTypeCommand(command: TypeCommand, context: RunContext): Promise<void> {
  if (command.action !== 'delete') warnAboutJwksHost(command.moduleType, context);
  const session = await logIn(command.api, context);
  const write = writer(session, command.api, 'module-type', command.dryRun, context);
  const label = `Module type "${MODULE_TYPE_TITLE}"`;

  if (command.action === 'create') {
    const existing = await typesTitled(session);
    if (existing.length > 0) throw new CommandFailureError(`${label} already exists!`);
    const created = await write.create(buildModuleType(command.moduleType));
    if (created !== undefined) {
      context.output.out(`${label} has been successfully created! Its id is ${created.id}.`);
    }
    return;
  }
  const current = await findType(session, command.id, label);
  if (command.action === 'update') {
    const changes = changedKeys({ ...buildModuleType(command.moduleType) }, current);
    if (Object.keys(changes).length === 0) {
      context.output.out(`${label} has not been changed!`);
      return;
    }
    await write.patch(current.id, changes);
    if (!command.dryRun) context.output.out(`${label} has been successfully updated!`);
    return;
  }
  await write.remove(current.id);
  if (!command.dryRun) context.output.out(`${label} has been successfully deleted!`);
}

async function logIn(api: ApiTarget, context: RunContext): Promise<IrohSession> {
  const { clientId, clientPassword } = await readClientCredentials(context.env, context.terminal);
  context.redactor.add(clientPassword);
  context.redactor.add(Buffer.from(`${clientId}:${clientPassword}`).toString('base64'));
  const session = await new IrohClient({ ...api, dispatcher: context.dispatcher }).login(
    clientId,
    clientPassword,
  );
  context.redactor.add(session.accessToken);
  return session;
}

async function typesTitled(session: IrohSession): Promise<IrohRecord[]> {
  return (await session.list('module-type')).filter((type) => type.title === MODULE_TYPE_TITLE);
}

/** The module type by `--id`, else the one with our title. */
async function findType(
  session: IrohSession,
  id: string | undefined,
  label: string,
): Promise<IrohRecord> {
  if (id === undefined) return single(await typesTitled(session), label);
  const found = await session.get('module-type', id);
  if (found === undefined)
    throw new CommandFailureError(`Module type with id "${id}" does not exist!`);
  return found;
}

function single(matches: IrohRecord[], label: string): IrohRecord {
  if (matches.length === 0) throw new CommandFailureError(`${label} does not exist!`);
  if (matches.length > 1) {
    throw new CommandFailureError(
      `${label} matches ${matches.length} items in Threat Response (ids ${matches.map((match) => match.id).join(', ')}); remove the duplicates first.`,
    );
  }
  return matches[0];
}

/**
 * The writes of a command. In a dry run they print what they would send
 * (secrets masked) instead, and `create` returns undefined.
 */
function writer(
  session: IrohSession,
  api: ApiTarget,
  collection: IrohCollection,
  dryRun: boolean,
  context: RunContext,
) {
  const url = `${api.baseUrl}${collectionPath(collection)}`;
  const show = (request: string, body?: object): void => {
    context.output.out('Dry run: nothing was sent. The write would be:');
    context.output.out(request);
    if (body !== undefined) context.output.out(JSON.stringify(maskDocument(body), null, 2));
  };
  return {
    async create(document: object): Promise<IrohRecord | undefined> {
      if (dryRun) return void show(`POST ${url}`, document);
      return session.create(collection, document);
    },
    async patch(id: string, changes: object): Promise<void> {
      if (dryRun) return show(`PATCH ${url}/${encodeURIComponent(id)}`, changes);
      await session.patch(collection, id, changes);
    },
    async remove(id: string): Promise<void> {
      if (dryRun) return show(`DELETE ${url}/${encodeURIComponent(id)}`);
      await session.remove(collection, id);
    },
  };
}

function warnAboutJwksHost(options: ModuleTypeOptions, context: RunContext): void {
  const warning = jwksHostWarning(options.jwksHost, context.env);
  if (warning !== undefined) context.output.err(warning);
}
