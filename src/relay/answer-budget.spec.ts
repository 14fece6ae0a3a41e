import { describe, expect, it } from '@jest/globals';
import {
  AnswerBudget,
  answerSizeWarning,
  ENVELOPE_BYTES,
  serializedBytes,
} from './answer-budget.js';

describe('AnswerBudget (spec §15 answer size)', () => {
  it('keeps room for the envelope and takes parts while they fit', () => {
    const budget = new AnswerBudget(ENVELOPE_BYTES + 100);
    expect([budget.add(60), budget.add(41), budget.add(40), budget.used]).toEqual([
      true,
      false,
      true,
      ENVELOPE_BYTES + 100,
    ]);
    expect(budget.add(1)).toBe(false);
    expect(budget.add(0)).toBe(true);
  });

  it('takes nothing when the limit leaves no room beside the envelope', () => {
    expect(new AnswerBudget(ENVELOPE_BYTES - 1).add(0)).toBe(false);
  });

  it('counts serialized UTF-8 bytes, escapes included', () => {
    expect(serializedBytes({ a: 'é"' })).toBe('{"a":"é\\""}'.length + 1);
    expect(serializedBytes([])).toBe(2);
  });

  it('words the warning as the spec does', () => {
    expect(answerSizeWarning(21, 25)).toEqual({
      type: 'warning',
      code: 'too many entities',
      message:
        'The answer reached its size limit; 21 of 25 observables were left out. Send fewer observables or lower CTR_ENTITIES_LIMIT.',
    });
  });
});
