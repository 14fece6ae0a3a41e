import { describe, expect, it } from '@jest/globals';
import { TurnRotation } from './turn-rotation.js';

/** Serves the first member that may be served, as the scheduler's pump does; returns who it was. */
function serveNext(
  rotation: TurnRotation<string>,
  waiting: Map<string, number>,
  blocked: ReadonlySet<string> = new Set(),
): string | undefined {
  for (const member of rotation.inTurn()) {
    if (blocked.has(member)) continue;
    const left = (waiting.get(member) ?? 0) - 1;
    waiting.set(member, left);
    rotation.served(member, left > 0);
    return member;
  }
  return undefined;
}

describe('TurnRotation (fair share of the process slots, spec §15)', () => {
  it('serves waiting members in turn, however much each one has waiting', () => {
    const rotation = new TurnRotation<string>();
    const waiting = new Map([
      ['loaded', 1000],
      ['small', 2],
      ['other', 3],
    ]);
    for (const member of waiting.keys()) rotation.join(member);
    const served = Array.from({ length: 9 }, () => serveNext(rotation, waiting));
    expect(served).toEqual([
      'loaded',
      'small',
      'other',
      'loaded',
      'small',
      'other',
      'loaded',
      'other',
      'loaded',
    ]);
    expect(rotation.inTurn()).toEqual(['loaded']);
  });

  it('keeps the place of a member joining again while it waits', () => {
    const rotation = new TurnRotation<string>();
    for (const member of ['a', 'b', 'c']) rotation.join(member);
    rotation.join('a');
    expect(rotation.inTurn()).toEqual(['a', 'b', 'c']);
  });

  it('puts a newcomer behind those already waiting', () => {
    const rotation = new TurnRotation<string>();
    const waiting = new Map([
      ['a', 5],
      ['b', 5],
    ]);
    rotation.join('a');
    rotation.join('b');
    expect(serveNext(rotation, waiting)).toBe('a');
    waiting.set('late', 5);
    rotation.join('late');
    const next = Array.from({ length: 3 }, () => serveNext(rotation, waiting));
    expect(next).toEqual(['b', 'a', 'late']);
  });

  it('leaves a member that could not be served at the front, first once it can be', () => {
    const rotation = new TurnRotation<string>();
    const waiting = new Map([
      ['full', 5],
      ['b', 5],
      ['c', 5],
    ]);
    for (const member of waiting.keys()) rotation.join(member);
    const blocked = new Set(['full']);
    expect([serveNext(rotation, waiting, blocked), serveNext(rotation, waiting, blocked)]).toEqual([
      'b',
      'c',
    ]);
    expect(serveNext(rotation, waiting)).toBe('full');
    expect(rotation.inTurn()).toEqual(['b', 'c', 'full']);
  });

  it('forgets a member that leaves or is served its last call, and everything on clear', () => {
    const rotation = new TurnRotation<string>();
    for (const member of ['a', 'b', 'c']) rotation.join(member);
    rotation.leave('b');
    rotation.served('a', false);
    expect(rotation.inTurn()).toEqual(['c']);
    rotation.clear();
    expect(rotation.inTurn()).toEqual([]);
  });
});
