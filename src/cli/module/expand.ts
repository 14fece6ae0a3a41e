/** A `$NAME` / `${NAME}` whose variable is not set (or set to nothing). */
export class UndefinedVariableError extends Error {
  override readonly name = 'UndefinedVariableError';
  constructor(
    readonly variable: string,
    readonly path: string,
  ) {
    super(`the environment variable ${variable} (used by ${path}) is not set`);
  }
}

/** A `$` that starts no placeholder (write `$$` for a literal dollar sign). */
export class InvalidPlaceholderError extends Error {
  override readonly name = 'InvalidPlaceholderError';
  constructor(readonly path: string) {
    // The text itself is not quoted: a settings file may hold a secret.
    super(`${path} holds a $ that starts no $NAME or \${NAME} (write $$ for a dollar sign)`);
  }
}

const PLACEHOLDER = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|)/g;

/**
 * Expands `$NAME` and `${NAME}` in a string from `env`, like the original
 * relay CLI (Python's `string.Template`): `$$` is a literal `$`, and a `$`
 * followed by anything else is an error rather than text passed on silently.
 * An empty variable counts as undefined: an empty JWT or URL is never meant.
 * `path` names the string in errors (`settings.url`).
 */
export function expandVariables(
  text: string,
  env: Record<string, string | undefined>,
  path = 'the value',
): string {
  return text.replace(
    PLACEHOLDER,
    (_match, dollar: string | undefined, braced?: string, bare?: string) => {
      if (dollar !== undefined) return '$';
      const variable = braced ?? bare;
      if (variable === undefined) throw new InvalidPlaceholderError(path);
      const value = env[variable];
      if (value === undefined || value === '') throw new UndefinedVariableError(variable, path);
      return value;
    },
  );
}

/** `expandVariables` on every string of a JSON value; object keys are left alone. */
export function expandJson(
  value: unknown,
  env: Record<string, string | undefined>,
  path = '',
): unknown {
  if (typeof value === 'string') return expandVariables(value, env, path || 'the value');
  if (Array.isArray(value)) {
    return value.map((item, index) => expandJson(item, env, `${path}[${index}]`));
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        expandJson(item, env, path === '' ? key : `${path}.${key}`),
      ]),
    );
  }
  return value;
}
