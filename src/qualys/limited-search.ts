import { Injectable } from '@nestjs/common';
import { sleep } from '../common/abort.js';
import { ErrorCode, RelayError } from '../common/relay-error.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { QualysConfig } from '../config/relay-config.js';
import type { CallDeadline } from './call-deadline.js';
import {
  BudgetSpentError,
  MemoryWaitAbortedError,
  QualysLimits,
  SlotWaitAbortedError,
  type LimitRefusal,
  type SearchAnswer,
  type SearchProgress,
} from './limits/qualys-limits.js';
import { QualysAuthenticator } from './qualys-auth.js';
import { QualysCaller, type Answer, type SearchCall } from './qualys-call.js';
import {
  BatchRefusedError,
  connectionError,
  errorForStatus,
  isBatchRefusal,
  rateLimitReached,
} from './qualys-errors.js';
import { expectedAnswerBytes, parseEventsArray } from './events-answer.js';
import { nextStep } from './retry-policy.js';
import type { SearchRun } from './search-options.js';

/**
 * One search answer from Qualys within the subscription's limits (spec §9,
 * §15): room in the memory budget, a slot, one call, then what `nextStep`
 * says of a refusal or failure, with the token refreshed once after a 401
 * (spec §7). Below the client's cache and coalescing: every answer it
 * gives was fetched.
 */
@Injectable()
export class LimitedSearch {
  private readonly config: QualysConfig;

  constructor(
    settings: ConfigService<RelaySettings, true>,
    private readonly auth: QualysAuthenticator,
    private readonly caller: QualysCaller,
    private readonly limits: QualysLimits,
  ) {
    const config = settings.get('relay', { infer: true });
    this.config = config.qualys;
  }

  /** One search answer from Qualys, with a token refreshed once after a 401 (spec §7). */
  async answer(
    search: SearchRun,
    deadline: CallDeadline,
    progress: SearchProgress,
  ): Promise<SearchAnswer> {
    const { relayContext, session } = search;
    const pageSize = Number(search.query.pageSize);
    const { memory } = this.limits;
    // Spec §15: room for the answer before the call goes, kept across its
    // retries (a retry never queues behind later searches holding the room).
    let reserved = await this.roomFor(
      expectedAnswerBytes(pageSize, this.config.maxAnswerBytes),
      deadline,
      progress,
    );
    try {
      const { response, statusClass } = await this.auth.refreshingOnce(
        relayContext,
        session,
        deadline,
        async (token) => {
          const answer = await this.callInSlot(search, token, deadline, progress);
          // Read already: the bytes exist, whatever the memory budget says.
          const { length } = answer.response.data;
          if (length > reserved) {
            memory.force(length - reserved);
            reserved = length;
          }
          return answer;
        },
      );
      const fetchedAt = Date.now();
      // Spec §12: a batch's filter refused is not "nothing found" for its observables.
      if (search.observables > 1 && isBatchRefusal(response.status))
        throw new BatchRefusedError(response.status);
      if (statusClass === 'not_found') return { pageSize, eventsJson: '[]', events: [], fetchedAt };
      if (statusClass !== 'success')
        throw errorForStatus(statusClass, response.status, response.data, relayContext.credentials);
      const events = parseEventsArray(response.data, pageSize);
      return { pageSize, eventsJson: response.data, events, fetchedAt };
    } finally {
      memory.give(reserved);
    }
  }

  /** Waits for room in the memory budget like for a slot (spec §15); returns the bytes held. */
  private async roomFor(
    bytes: number,
    deadline: CallDeadline,
    progress: SearchProgress,
  ): Promise<number> {
    progress.waitingForLimits = true;
    try {
      await this.limits.memory.take(bytes, deadline.signal);
      return bytes;
    } catch (error) {
      if (error instanceof MemoryWaitAbortedError)
        throw new RelayError(ErrorCode.CONNECTION, error.message);
      throw error;
    } finally {
      progress.waitingForLimits = false;
    }
  }

  /** Spec §9: one search call in a slot of the subscription, then what `nextStep` says. */
  private async callInSlot(
    search: SearchRun,
    token: string,
    deadline: CallDeadline,
    progress: SearchProgress,
  ): Promise<Answer> {
    const { subscriptionId } = search.keys;
    const call: SearchCall = { url: search.url, query: search.query, token };
    let retry = 0;
    let front = false;
    for (;;) {
      if (deadline.remaining() <= 0) throw connectionError(search.relayContext.apiUrl);
      const waitStarted = performance.now();
      const grant = await this.slot(search, deadline, front, progress);
      let answer: Answer;
      let refusal: LimitRefusal | undefined;
      try {
        // What a trace shows of the call (spec §14): how many observables, never which.
        answer = await this.caller.search(search.relayContext.apiUrl, call, deadline, {
          active: search.query.state === 'true',
          batchSize: search.observables,
          retry,
          slotWaitMs: performance.now() - waitStarted,
        });
        const { statusClass, response } = answer;
        refusal = this.limits.learn(subscriptionId, statusClass, response.headers, grant.probe);
      } finally {
        grant.release();
      }
      const step = nextStep(
        { statusClass: answer.statusClass, headers: answer.response.headers, refusal },
        retry,
        deadline.remaining(),
        { retries: this.config.retries },
      );
      front = step.kind === 'requeue';
      switch (step.kind) {
        case 'done':
          return answer;
        case 'requeue':
          this.limits.refusedForConcurrency(subscriptionId);
          continue;
        case 'block':
          await this.limits.block(subscriptionId, step);
          throw rateLimitReached(step.forMs);
        case 'retry':
          progress.waitingForLimits = step.forLimits;
          await sleep(step.afterMs, deadline.signal);
          progress.waitingForLimits = false;
          retry++;
      }
    }
  }

  /** Waits for a slot; a spent budget answers at once (spec §9). */
  private async slot(
    search: SearchRun,
    deadline: CallDeadline,
    front: boolean,
    progress: SearchProgress,
  ) {
    progress.waitingForLimits = true;
    try {
      const { subscriptionId } = search.keys;
      return await this.limits.slot(subscriptionId, search.request, deadline.signal, front);
    } catch (error) {
      if (error instanceof BudgetSpentError) throw rateLimitReached(error.retryInMs);
      if (error instanceof SlotWaitAbortedError)
        throw new RelayError(ErrorCode.CONNECTION, error.message);
      throw error;
    } finally {
      progress.waitingForLimits = false;
    }
  }
}
