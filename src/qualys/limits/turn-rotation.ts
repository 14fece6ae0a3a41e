/**
 * Members taking turns for something scarce — subscriptions waiting for one
 * of the process's `QUALYS_CONCURRENCY` slots (spec §15). The member served
 * longest ago comes first; a member served goes to the back; a member that
 * could not be served (at its own limit, paused) keeps its place, so it is
 * first once it can be. Over an insertion-ordered Set: every step is O(1).
 */
export class TurnRotation<T> {
  private readonly members = new Set<T>();

  /** Waits for a turn: at the back when new, in its place when already waiting. */
  join(member: T): void {
    this.members.add(member);
  }

  /** Stops waiting (nothing left to serve). */
  leave(member: T): void {
    this.members.delete(member);
  }

  /** Was served: to the back when it still waits, else out of the rotation. */
  served(member: T, stillWaiting: boolean): void {
    this.members.delete(member);
    if (stillWaiting) this.members.add(member);
  }

  /** The members in the order of their turns; a copy, so serving them while walking it is safe. */
  inTurn(): T[] {
    return [...this.members];
  }

  clear(): void {
    this.members.clear();
  }
}
