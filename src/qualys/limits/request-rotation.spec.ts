import { describe, expect, it } from '@jest/globals';
import { RequestRotation } from './request-rotation.js';

/** Takes everything, in the rotation's order. */
function takeAll(rotation: RequestRotation<string>): string[] {
  const taken: string[] = [];
  for (let item = rotation.take(); item !== undefined; item = rotation.take()) taken.push(item);
  return taken;
}

describe('RequestRotation (requests of one subscription take turns, spec §9)', () => {
  it('takes one call of each request in turn, each request’s calls in order', () => {
    const rotation = new RequestRotation<string>();
    const big = {};
    const small = {};
    for (const item of ['big1', 'big2', 'big3']) rotation.push(item, big);
    rotation.push('small1', small);
    rotation.push('small2', small);
    expect(rotation.size).toBe(5);
    expect(takeAll(rotation)).toEqual(['big1', 'small1', 'big2', 'small2', 'big3']);
    expect(rotation.size).toBe(0);
  });

  it('makes a request served just now wait for the others’ turns with a call it adds', () => {
    const rotation = new RequestRotation<string>();
    const a = {};
    const b = {};
    rotation.push('a1', a);
    rotation.push('b1', b);
    expect(rotation.take()).toBe('a1');
    rotation.push('a2', a);
    expect(takeAll(rotation)).toEqual(['b1', 'a2']);
  });

  it('puts a call back at the head of its request, and a returning request next', () => {
    const rotation = new RequestRotation<string>();
    const a = {};
    const b = {};
    rotation.push('a1', a);
    rotation.push('a2', a);
    rotation.push('b1', b);
    expect(rotation.take()).toBe('a1');
    rotation.push('a1-again', a, true);
    expect(takeAll(rotation)).toEqual(['b1', 'a1-again', 'a2']);

    const c = {};
    rotation.push('b2', b);
    rotation.push('c1', c, true);
    expect(takeAll(rotation)).toEqual(['c1', 'b2']);
  });

  it('removes a queued call and says whether it was queued', () => {
    const rotation = new RequestRotation<string>();
    const a = {};
    rotation.push('a1', a);
    rotation.push('a2', a);
    expect([rotation.remove('a1', a), rotation.remove('a1', a), rotation.remove('x', {})]).toEqual([
      true,
      false,
      false,
    ]);
    expect(rotation.size).toBe(1);
    expect(takeAll(rotation)).toEqual(['a2']);
  });

  it('drains every waiting call and starts afresh', () => {
    const rotation = new RequestRotation<string>();
    rotation.push('a1', {});
    rotation.push('b1', {});
    expect(rotation.drain().sort()).toEqual(['a1', 'b1']);
    expect([rotation.size, rotation.take()]).toEqual([0, undefined]);
  });
});
