import type { GateAnswer, SlotLease } from '../../src/qualys/limits/limit-stores.js';

/** The lease of a granted answer; anything else fails the test. */
export function leaseOf(answer: GateAnswer): SlotLease {
  if (answer.kind !== 'granted') throw new Error(`expected a grant, got ${JSON.stringify(answer)}`);
  return answer.lease;
}

/** The answer without the lease object, for whole-value comparisons. */
export function shapeOf(answer: GateAnswer): unknown {
  return answer.kind === 'granted' ? { kind: 'granted', probe: answer.probe } : answer;
}
