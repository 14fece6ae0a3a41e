/**
 * The calls waiting in one subscription's queue, taken request by request
 * (round-robin), each request's calls in order: a 200-observable request
 * cannot starve a 1-observable one (spec §9). A request is known by its
 * identity (its `RelayRequestScope`; any object works).
 *
 * Why not p-queue: its queue strategy orders tasks by priority, not by the
 * request they belong to.
 */
export class RequestRotation<T> {
  private readonly queues: Array<{ readonly request: object; readonly items: T[] }> = [];
  private readonly byRequest = new Map<object, T[]>();
  private cursor = 0;
  private count = 0;

  /** Calls waiting, all requests together. */
  get size(): number {
    return this.count;
  }

  /**
   * Queues `item` of `request`. `front` puts it at the head of its request's
   * calls, and a request new to the rotation then takes the next turn (a
   * call Qualys refused for concurrency, spec §9); else a new request waits
   * for its turn at the back.
   */
  push(item: T, request: object, front = false): void {
    let items = this.byRequest.get(request);
    if (items === undefined) {
      items = [];
      this.byRequest.set(request, items);
      const queue = { request, items };
      if (front) this.queues.splice(this.cursor, 0, queue);
      else this.queues.push(queue);
    }
    if (front) items.unshift(item);
    else items.push(item);
    this.count++;
  }

  /**
   * The next call, taking requests in turn. A request whose queue ran empty
   * keeps its place until the rotation passes it, so a call it adds right
   * after being served waits for the other requests' turns.
   */
  take(): T | undefined {
    while (this.queues.length > 0) {
      if (this.cursor >= this.queues.length) this.cursor = 0;
      const queue = this.queues[this.cursor];
      const item = queue.items.shift();
      if (item === undefined) {
        this.queues.splice(this.cursor, 1);
        this.byRequest.delete(queue.request);
        continue;
      }
      this.count--;
      this.cursor++;
      return item;
    }
    return undefined;
  }

  /** Takes `item` of `request` out of the queue; false when it was not queued. */
  remove(item: T, request: object): boolean {
    const items = this.byRequest.get(request);
    const index = items?.indexOf(item) ?? -1;
    if (items === undefined || index < 0) return false;
    items.splice(index, 1);
    this.count--;
    return true;
  }

  /** Every waiting call, in no particular order; the rotation forgets its requests. */
  drain(): T[] {
    const items = this.queues.flatMap((queue) => queue.items);
    this.queues.length = 0;
    this.byRequest.clear();
    this.cursor = 0;
    this.count = 0;
    return items;
  }
}
