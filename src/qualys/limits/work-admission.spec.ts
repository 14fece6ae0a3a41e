import { describe, expect, it } from '@jest/globals';
import { admissibleItems, WorkAdmission } from './work-admission.js';

describe('admissibleItems (spec §15 admission arithmetic)', () => {
  it.each([
    // items, units per item, free, per request → admitted
    [1000, 2, 5000, 2500, 1000],
    [1000, 2, 1500, 2500, 750],
    [1000, 2, 1501, 2500, 750], // an odd unit left is not half an observable
    [2000, 2, 5000, 2500, 1250], // one request takes at most half of the process
    [10, 2, 1, 2500, 0],
    [10, 2, 0, 2500, 0],
    [10, 2, -3, 2500, 0], // never negative, whatever the bookkeeping says
    [0, 2, 5000, 2500, 0],
    [40, 20, 100, 50, 2], // batches: 20 units per item
  ])('%i items of %i units, %i free, %i per request: %i', (items, per, free, cap, admitted) => {
    expect(admissibleItems(items, per, free, cap)).toBe(admitted);
  });
});

describe('WorkAdmission', () => {
  it('reserves in request order until the process is full, and gives units back as they settle', () => {
    const admission = new WorkAdmission(10);
    const first = admission.reserve(4, 2); // at most 5 units: 2 observables
    const second = admission.reserve(4, 2);
    const third = admission.reserve(4, 2);
    expect([first.admitted, second.admitted, third.admitted, admission.reserved]).toEqual([
      2, 2, 1, 10,
    ]);
    expect(admission.reserve(1, 2).admitted).toBe(0);

    first.settle(1);
    first.settle(1);
    expect(admission.reserved).toBe(8);
    expect(admission.reserve(3, 2).admitted).toBe(1);
  });

  it('gives each unit back once: settling more than held, or ending twice, frees nothing more', () => {
    const admission = new WorkAdmission(100);
    const other = admission.reserve(10, 2);
    const request = admission.reserve(3, 2);
    expect(admission.reserved).toBe(26);
    request.settle(4);
    request.settle(5);
    expect(admission.reserved).toBe(20);
    request.end();
    request.end();
    expect(admission.reserved).toBe(20);
    other.end();
    expect(admission.reserved).toBe(0);
  });
});
