import { Inject, Injectable } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import { sleep, untilAborted } from '../common/abort.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import { tokenFromAuthAnswer } from './auth-answer.js';
import type { CallDeadline } from './call-deadline.js';
import { QUALYS_CALL_OBSERVER, type QualysCallObserver } from './qualys-call-observer.js';
import { QualysCaller, type Answer } from './qualys-call.js';
import { connectionError, errorForStatus } from './qualys-errors.js';
import { nextStep } from './retry-policy.js';
import { QualysTokenCache } from './token-cache.js';

/** The caller's token and the cache key it lives under. */
export interface QualysSession {
  readonly key: string;
  readonly token: string;
}

/**
 * Authentication against Qualys (spec §7): the caller's token from the
 * token cache, fetched once for all concurrent searches of the same
 * credentials (single flight) with `POST /auth`, and a search answered 401
 * sent again once with a fresh token. `POST /auth` is exempt from the
 * subscription limits (spec §9).
 */
@Injectable()
export class QualysAuthenticator {
  private readonly retries: number;

  constructor(
    settings: ConfigService<RelaySettings, true>,
    private readonly tokens: QualysTokenCache,
    private readonly caller: QualysCaller,
    @Inject(QUALYS_CALL_OBSERVER) private readonly observer: QualysCallObserver,
  ) {
    const config = settings.get('relay', { infer: true });
    this.retries = config.qualys.retries;
  }

  /** The caller's token; a search that gives up (its deadline's signal) stops waiting for it. */
  async session(relayContext: RelayContext, deadline: CallDeadline): Promise<QualysSession> {
    const key = QualysTokenCache.keyOf(relayContext.apiUrl, relayContext.credentials);
    return { key, token: await this.token(relayContext, key, deadline) };
  }

  /** `call` with the session's token; after a 401, once more with a fresh one (spec §7). */
  async refreshingOnce(
    relayContext: RelayContext,
    session: QualysSession,
    deadline: CallDeadline,
    call: (token: string) => Promise<Answer>,
  ): Promise<Answer> {
    const answer = await call(session.token);
    if (answer.statusClass !== 'unauthorized') return answer;
    this.tokens.invalidate(session.key, session.token);
    return call(await this.token(relayContext, session.key, deadline));
  }

  private token(relayContext: RelayContext, key: string, deadline: CallDeadline): Promise<string> {
    // A token fetch is shared (single flight), so one search giving up must not abort it for the others.
    const fetchToken = () => this.fetchToken(relayContext, deadline.unsignalled());
    return untilAborted(
      this.tokens.get(key, fetchToken, (result) => this.observer.tokenLookup(result)),
      deadline.signal,
      () => connectionError(relayContext.apiUrl),
    );
  }

  /** `POST /auth`; the body of a 2xx is the token, 503 and refusals are retried (spec §7). */
  private async fetchToken(relayContext: RelayContext, deadline: CallDeadline): Promise<string> {
    const { apiUrl, credentials } = relayContext;
    const form = new URLSearchParams({
      username: credentials.user,
      password: credentials.pass,
      token: 'true',
    });
    for (let retry = 0; ; retry++) {
      if (deadline.remaining() <= 0) throw connectionError(apiUrl);
      const { response, statusClass } = await this.caller.auth(apiUrl, form, deadline);
      if (statusClass === 'success') return tokenFromAuthAnswer(response.data);
      const step = nextStep(
        { statusClass, headers: response.headers },
        retry,
        deadline.remaining(),
        {
          retries: this.retries,
        },
      );
      if (step.kind !== 'retry')
        throw errorForStatus(statusClass, response.status, response.data, credentials);
      await sleep(step.afterMs, deadline.signal);
    }
  }
}
