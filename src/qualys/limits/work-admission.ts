/**
 * Spec §15 "work in flight": searches are counted as units, one per
 * observable and state (a batched search of 20 observables holds 20 units
 * for its one call). A request reserves its units when it starts and gives
 * them back as its searches settle. At most `max` units are reserved in the
 * process, one request at most half of them; what does not fit is not
 * searched at all.
 */
export class WorkAdmission {
  private reservedUnits = 0;

  constructor(readonly max: number) {}

  /** Units reserved in the process now. */
  get reserved(): number {
    return this.reservedUnits;
  }

  /**
   * Reserves room for as many of `items` as fit, each `unitsPerItem` units,
   * in request order: the first `admitted` items are searched, the rest not.
   */
  reserve(items: number, unitsPerItem: number): WorkReservation {
    const admitted = admissibleItems(
      items,
      unitsPerItem,
      this.max - this.reservedUnits,
      Math.floor(this.max / 2),
    );
    const units = admitted * unitsPerItem;
    this.reservedUnits += units;
    return new WorkReservation(admitted, units, (settled) => {
      this.reservedUnits -= settled;
    });
  }
}

/**
 * How many of `items` (each `unitsPerItem` units) one request may start
 * with `free` units left in the process and `perRequest` allowed to one
 * request: whole items only, never a negative count.
 */
export function admissibleItems(
  items: number,
  unitsPerItem: number,
  free: number,
  perRequest: number,
): number {
  const room = Math.max(0, Math.min(free, perRequest));
  return Math.min(items, Math.floor(room / unitsPerItem));
}

/** One request's reserved units; each is given back once, and `end` gives back the rest. */
export class WorkReservation {
  private left: number;

  constructor(
    /** Items admitted (the first ones of the request, in order). */
    readonly admitted: number,
    units: number,
    private readonly giveBack: (units: number) => void,
  ) {
    this.left = units;
  }

  /** `units` settled (a search answered, failed or was skipped): others may use them. */
  settle(units: number): void {
    const given = Math.min(units, this.left);
    this.left -= given;
    if (given > 0) this.giveBack(given);
  }

  /** The request answered: whatever it still holds goes back. */
  end(): void {
    this.settle(this.left);
  }
}
