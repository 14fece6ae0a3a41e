import { describe, expect, it } from '@jest/globals';
import { TEST_RELAY_CONTEXT } from '../../test/support/test-relay-context.js';
import { configServiceOf, testRelayConfig } from '../../test/support/jwt-test-config.js';
import { AuthorizationError, RelayError } from '../common/relay-error.js';
import { CallDeadline } from './call-deadline.js';
import { QualysAuthenticator } from './qualys-auth.js';
import type { QualysCallObserver } from './qualys-call-observer.js';
import type { Answer, QualysCaller } from './qualys-call.js';
import { connectionError } from './qualys-errors.js';
import { classifyStatus } from './qualys-status.js';
import type { TokenLookup } from './token-cache.js';
import { QualysTokenCache } from './token-cache.js';

const API = TEST_RELAY_CONTEXT.apiUrl;
const TOKEN_1 = 'aaa.bbb.ccc';
const TOKEN_2 = 'ddd.eee.fff';

const answer = (status: number, data = '', headers = {}): Answer => ({
  response: { status, headers, data },
  statusClass: classifyStatus('auth', status),
});

/** An authenticator over a caller whose `/auth` answers come from `answers`, in order. */
function authenticator(answers: Array<Answer | Promise<Answer>>, retries = 2) {
  const forms: string[] = [];
  const lookups: TokenLookup[] = [];
  const caller: Pick<QualysCaller, 'auth'> = {
    auth: (apiUrl: string, form: URLSearchParams) => {
      expect(apiUrl).toBe(API);
      forms.push(form.toString());
      const next = answers.shift();
      return next === undefined
        ? Promise.reject(new Error('no more answers'))
        : Promise.resolve(next);
    },
  };
  const observer = {
    tokenLookup: (result) => lookups.push(result),
  } as Partial<QualysCallObserver> as QualysCallObserver;
  const config = testRelayConfig({ qualys: { retries } });
  const auth = new QualysAuthenticator(
    configServiceOf(config),
    new QualysTokenCache(),
    caller as QualysCaller,
    observer,
  );
  return { auth, forms, lookups };
}

describe('QualysAuthenticator (spec §7)', () => {
  it('fetches the token once for concurrent searches, then reuses it', async () => {
    const { auth, forms, lookups } = authenticator([answer(200, `${TOKEN_1}\n`)]);
    const sessions = await Promise.all([
      auth.session(TEST_RELAY_CONTEXT, new CallDeadline(5000)),
      auth.session(TEST_RELAY_CONTEXT, new CallDeadline(5000)),
    ]);
    const again = await auth.session(TEST_RELAY_CONTEXT, new CallDeadline(5000));
    const key = QualysTokenCache.keyOf(API, TEST_RELAY_CONTEXT.credentials);
    expect([...sessions, again]).toEqual(Array(3).fill({ key, token: TOKEN_1 }));
    expect(forms).toEqual(['username=alice&password=secret&token=true']);
    expect(lookups).toEqual(['miss', 'shared', 'hit']);
  });

  it('retries a 503 and fails with the /auth error once retries are spent', async () => {
    const noWait = { 'retry-after': '0' };
    const { auth, forms } = authenticator(
      [answer(503, '', noWait), answer(503, '', noWait), answer(401, 'bad')],
      2,
    );
    const failure = await auth
      .session(TEST_RELAY_CONTEXT, new CallDeadline(5000))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthorizationError);
    expect(forms).toHaveLength(3);
  });

  it('stops waiting for a shared token when its own deadline gives up, without aborting the fetch', async () => {
    let answerAuth: (value: Answer) => void = () => undefined;
    const { auth } = authenticator([new Promise<Answer>((resolve) => (answerAuth = resolve))]);
    const leaving = new AbortController();
    const left = auth.session(TEST_RELAY_CONTEXT, new CallDeadline(5000, leaving.signal));
    const stays = auth.session(TEST_RELAY_CONTEXT, new CallDeadline(5000));
    leaving.abort();
    await expect(left).rejects.toEqual(connectionError(API));
    answerAuth(answer(200, TOKEN_1));
    expect((await stays).token).toBe(TOKEN_1);
  });

  it('sends a search again once with a fresh token after a 401, and no more', async () => {
    const { auth } = authenticator([answer(200, TOKEN_1), answer(200, TOKEN_2)]);
    const deadline = new CallDeadline(5000);
    const session = await auth.session(TEST_RELAY_CONTEXT, deadline);
    const tokens: string[] = [];
    const unauthorized: Answer = { ...answer(401), statusClass: 'unauthorized' };
    const result = await auth.refreshingOnce(TEST_RELAY_CONTEXT, session, deadline, (token) => {
      tokens.push(token);
      return Promise.resolve(unauthorized);
    });
    expect([result, tokens]).toEqual([unauthorized, [TOKEN_1, TOKEN_2]]);
    // The refused token is gone: the next session has the fresh one.
    expect((await auth.session(TEST_RELAY_CONTEXT, deadline)).token).toBe(TOKEN_2);
  });

  it('passes any other answer through with the first token', async () => {
    const { auth } = authenticator([answer(200, TOKEN_1)]);
    const deadline = new CallDeadline(5000);
    const session = await auth.session(TEST_RELAY_CONTEXT, deadline);
    const found = answer(200, '[]');
    const tokens: string[] = [];
    const result = await auth.refreshingOnce(TEST_RELAY_CONTEXT, session, deadline, (token) => {
      tokens.push(token);
      return Promise.resolve(found);
    });
    expect([result, tokens]).toEqual([found, [TOKEN_1]]);
  });

  it('refuses a 2xx whose body is no token', async () => {
    const { auth } = authenticator([answer(200, '<html>portal</html>')]);
    const failure = await auth
      .session(TEST_RELAY_CONTEXT, new CallDeadline(5000))
      .catch((error: unknown) => error);
    expect((failure as RelayError).toItem()).toEqual({
      type: 'fatal',
      code: 'unknown',
      message: 'Unexpected response from Qualys IOC authentication',
    });
  });
});
