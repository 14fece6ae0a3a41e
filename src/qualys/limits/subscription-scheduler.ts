import { onAbort } from '../../common/abort.js';
import type { SlotLease, SubscriptionGate } from './limit-stores.js';
import { RequestRotation } from './request-rotation.js';
import { TurnRotation } from './turn-rotation.js';

/** A held slot of a subscription: the right to send one call to Qualys. */
export interface SlotGrant {
  /** This call is the one probe after a guessed budget block (spec §9). */
  readonly probe: boolean;
  /** Frees the slot for the next call (idempotent). */
  release(): void;
}

/** The subscription's rate budget is spent: no call before `retryInMs` has passed. */
export class BudgetSpentError extends Error {
  override readonly name = 'BudgetSpentError';
  constructor(readonly retryInMs: number) {
    super('the subscription rate budget is spent');
  }
}

/** The caller stopped waiting for a slot (its signal aborted). */
export class SlotWaitAbortedError extends Error {
  override readonly name = 'SlotWaitAbortedError';
  constructor() {
    super('stopped waiting for a Qualys slot');
  }
}

/** Observes queue depth for metrics. */
export interface SchedulerObserver {
  /** Calls waiting for a slot went up (+1) or down (-1). */
  queueDepth(delta: 1 | -1): void;
}

export interface SchedulerOptions {
  /** `QUALYS_CONCURRENCY`: calls in flight in this process, all subscriptions together. */
  globalCap: number;
  /** `QUALYS_SUBSCRIPTION_CONCURRENCY`: a subscription's limit until Qualys says otherwise. */
  defaultLimit: number;
  /** How long a slot lease lives in the shared store (longer than any one call). */
  leaseMs: number;
  observer?: SchedulerObserver;
  now?: () => number;
  random?: () => number;
}

/** Spec §9: learned limits expire after an idle hour. */
const LEARNED_LIMIT_IDLE_MS = 60 * 60 * 1000;
/** While another replica holds the slots, look again at least this often (a missed wake-up costs no more). */
const RELEASE_POLL_MS = 250;
/** Back-off after a concurrency refusal (someone else holds the subscription's slots), doubling to a second. */
const REFUSAL_PAUSE_MS = 50;
const MAX_REFUSAL_PAUSE_MS = 1000;
/** Subscriptions kept before idle ones are swept. */
const SWEEP_ABOVE = 256;

/**
 * Where a call waiting for a slot is: in its subscription's queue, being
 * let in by the gate, or out for good (granted, refused or abandoned — an
 * abandoned call may still be at the gate, whose slot it then gives back).
 */
type TicketState = 'queued' | 'entering' | 'settled';

interface Ticket {
  /** The relay request the call belongs to (its identity is what counts). */
  readonly request: object;
  state: TicketState;
  resolve(grant: SlotGrant): void;
  reject(error: Error): void;
  stopListening(): void;
}

/** One subscription: its learned limit, what runs, and its waiting calls in request rotation. */
class Subscription {
  limit: number;
  /** Slots held or being asked for by this process. */
  running = 0;
  lastUsed: number;
  pausedUntil = 0;
  consecutiveRefusals = 0;
  waitingForRelease = false;
  timer: NodeJS.Timeout | undefined;
  readonly queue = new RequestRotation<Ticket>();

  constructor(
    readonly id: string,
    limit: number,
    now: number,
  ) {
    this.limit = limit;
    this.lastUsed = now;
  }

  get pending(): number {
    return this.queue.size;
  }

  /** Nothing waits and nothing runs: forget the rotation (and the requests it references). */
  resetIfIdle(): void {
    if (this.pending === 0 && this.running === 0) this.queue.drain();
  }
}

/**
 * Spec §9: one queue per Qualys subscription (API URL + user). At most
 * `limit` calls of a subscription are in flight — the limit starts at
 * `QUALYS_SUBSCRIPTION_CONCURRENCY` and follows the concurrency header of
 * every answer, clamped to `QUALYS_SUBSCRIPTION_CONCURRENCY_MAX` — and at
 * most `QUALYS_CONCURRENCY` calls in all, which waiting subscriptions take
 * in turn (spec §15). Subscriptions never wait for each other beyond that
 * share; within one, requests take turns.
 *
 * Why not p-queue or p-limit: neither rotates between requests inside one
 * queue (`RequestRotation` does), nor asks an external store (Redis, shared
 * by replicas) before starting a task. The slots themselves live behind
 * `SubscriptionGate`.
 */
export class SubscriptionScheduler {
  private readonly subscriptions = new Map<string, Subscription>();
  /** Subscriptions with calls waiting take the process's slots in turn (spec §15). */
  private readonly ready = new TurnRotation<Subscription>();
  private globalRunning = 0;
  private pumping = false;
  private closed = false;
  private readonly lifetime = new AbortController();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly gate: SubscriptionGate,
    private readonly options: SchedulerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /**
   * Waits for a slot of `subscriptionId` for a call of `request` (requests
   * take turns). Rejects with `BudgetSpentError` at once while the
   * subscription's budget is spent, and with `SlotWaitAbortedError` when
   * `signal` aborts first. `front` puts the call back at the head of its
   * request's queue (a call Qualys refused for concurrency, spec §9).
   */
  acquire(
    subscriptionId: string,
    request: object,
    signal?: AbortSignal,
    front = false,
  ): Promise<SlotGrant> {
    if (signal?.aborted || this.closed) return Promise.reject(new SlotWaitAbortedError());
    const subscription = this.subscription(subscriptionId);
    return new Promise<SlotGrant>((resolve, reject) => {
      const ticket: Ticket = {
        request,
        state: 'queued',
        resolve,
        reject,
        stopListening: () => undefined,
      };
      ticket.stopListening = onAbort(signal, () => this.abandon(subscription, ticket));
      this.enqueue(subscription, ticket, front);
      this.pump();
    });
  }

  /** What Qualys said the subscription's concurrency limit is (already clamped). */
  learnLimit(subscriptionId: string, limit: number): void {
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription === undefined || subscription.limit === limit) return;
    subscription.limit = limit;
    this.pump();
  }

  /** A call went through: the subscription is not crowded by someone else. */
  answered(subscriptionId: string): void {
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription !== undefined) subscription.consecutiveRefusals = 0;
  }

  /**
   * Qualys refused a call for concurrency although this process held fewer
   * slots than the limit: someone else uses the subscription. Pause it
   * briefly (doubling up to a second) rather than hammering Qualys; the
   * request's deadline bounds the whole loop.
   */
  refusedForConcurrency(subscriptionId: string): void {
    const subscription = this.subscriptions.get(subscriptionId);
    if (subscription === undefined) return;
    const pause = Math.min(
      MAX_REFUSAL_PAUSE_MS,
      REFUSAL_PAUSE_MS * 2 ** subscription.consecutiveRefusals,
    );
    subscription.consecutiveRefusals++;
    subscription.pausedUntil = this.now() + Math.round(pause * (0.5 + this.random() / 2));
  }

  /** Stops timers and wake-up waits; waiting calls are rejected. */
  close(): void {
    this.closed = true;
    this.lifetime.abort();
    for (const subscription of this.subscriptions.values()) {
      clearTimeout(subscription.timer);
      this.refuseWaiting(subscription, new SlotWaitAbortedError());
    }
    this.ready.clear();
  }

  private subscription(id: string): Subscription {
    const now = this.now();
    let subscription = this.subscriptions.get(id);
    if (subscription === undefined) {
      if (this.subscriptions.size >= SWEEP_ABOVE) this.sweep(now);
      subscription = new Subscription(id, this.options.defaultLimit, now);
      this.subscriptions.set(id, subscription);
    } else if (this.idle(subscription, now)) {
      // Spec §9: a subscription unused for an hour starts again from the default.
      subscription.limit = this.options.defaultLimit;
      subscription.consecutiveRefusals = 0;
    }
    subscription.lastUsed = now;
    return subscription;
  }

  private idle(subscription: Subscription, now: number): boolean {
    return (
      subscription.running === 0 &&
      subscription.pending === 0 &&
      now - subscription.lastUsed > LEARNED_LIMIT_IDLE_MS
    );
  }

  private sweep(now: number): void {
    for (const [id, subscription] of this.subscriptions) {
      if (this.idle(subscription, now)) {
        clearTimeout(subscription.timer);
        this.subscriptions.delete(id);
      }
    }
  }

  /** Starts every call that may start now, taking subscriptions in turn. */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      let started = true;
      while (started && this.globalRunning < this.options.globalCap) {
        started = false;
        for (const subscription of this.ready.inTurn()) {
          if (this.globalRunning >= this.options.globalCap) break;
          if (subscription.pending === 0) {
            this.ready.leave(subscription);
            continue;
          }
          // At its own limit or paused: it keeps its place for the next slot.
          if (!this.mayStart(subscription)) continue;
          const ticket = subscription.queue.take();
          if (ticket === undefined) continue;
          this.options.observer?.queueDepth(-1);
          // To the back of the rotation: the other subscriptions go next.
          this.ready.served(subscription, subscription.pending > 0);
          this.start(subscription, ticket);
          started = true;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private mayStart(subscription: Subscription): boolean {
    if (subscription.running >= subscription.limit || subscription.waitingForRelease) return false;
    const wait = subscription.pausedUntil - this.now();
    if (wait <= 0) return true;
    if (subscription.timer === undefined) {
      subscription.timer = setTimeout(() => {
        subscription.timer = undefined;
        this.pump();
      }, wait);
      subscription.timer.unref();
    }
    return false;
  }

  private start(subscription: Subscription, ticket: Ticket): void {
    subscription.running++;
    this.globalRunning++;
    ticket.state = 'entering';
    this.gate
      .enter(subscription.id, subscription.limit, this.options.leaseMs)
      .then(
        (answer) => {
          if (answer.kind === 'granted') {
            this.grant(subscription, ticket, answer.lease, answer.probe);
            return;
          }
          this.unhold(subscription);
          if (answer.kind === 'full') {
            // Another replica holds the slots: back to the head, and look again when one is freed.
            if (ticket.state === 'entering') this.enqueue(subscription, ticket, true);
            this.awaitRelease(subscription);
          } else {
            // Spec §9: while the budget is spent, every waiting call answers at once.
            const spent = new BudgetSpentError(answer.retryInMs);
            this.settle(ticket, spent);
            this.refuseWaiting(subscription, spent);
            this.ready.leave(subscription);
          }
        },
        () => {
          // The Redis gate rejects when Redis fails (with Redis, the fallback store
          // answers from this process instead); a rejection lets the call go without a shared slot.
          this.grant(subscription, ticket, undefined, false);
        },
      )
      .finally(() => this.pump());
  }

  private grant(
    subscription: Subscription,
    ticket: Ticket,
    lease: SlotLease | undefined,
    probe: boolean,
  ): void {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.unhold(subscription);
      subscription.lastUsed = this.now();
      subscription.resetIfIdle();
      void lease?.release();
      this.pump();
    };
    if (ticket.state === 'settled') {
      release(); // abandoned while the gate was asked
      return;
    }
    this.settle(ticket, { probe, release });
  }

  private unhold(subscription: Subscription): void {
    subscription.running--;
    this.globalRunning--;
  }

  private enqueue(subscription: Subscription, ticket: Ticket, front: boolean): void {
    ticket.state = 'queued';
    subscription.queue.push(ticket, ticket.request, front);
    this.options.observer?.queueDepth(1);
    this.ready.join(subscription);
  }

  /** Every call waiting in the subscription's queue ends with `error`; the queue-depth metric follows. */
  private refuseWaiting(subscription: Subscription, error: Error): void {
    for (const waiting of subscription.queue.drain()) {
      this.options.observer?.queueDepth(-1);
      this.settle(waiting, error);
    }
  }

  private awaitRelease(subscription: Subscription): void {
    if (subscription.waitingForRelease) return;
    subscription.waitingForRelease = true;
    void this.gate.released(subscription.id, RELEASE_POLL_MS, this.lifetime.signal).then(() => {
      subscription.waitingForRelease = false;
      this.pump();
    });
  }

  private abandon(subscription: Subscription, ticket: Ticket): void {
    if (ticket.state === 'settled') return;
    if (ticket.state === 'queued' && subscription.queue.remove(ticket, ticket.request)) {
      this.options.observer?.queueDepth(-1);
      subscription.resetIfIdle();
    }
    this.settle(ticket, new SlotWaitAbortedError());
  }

  private settle(ticket: Ticket, outcome: SlotGrant | Error): void {
    if (ticket.state === 'settled') return;
    ticket.state = 'settled';
    ticket.stopListening();
    if (outcome instanceof Error) ticket.reject(outcome);
    else ticket.resolve(outcome);
  }
}
