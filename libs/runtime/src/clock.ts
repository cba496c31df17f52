/** Where time comes from (DESIGN §3.9): the wall clock in production, a manual clock in tests and demos. */
export interface Clock {
  now(): Date;
}

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that moves only when told: lets tests and `tributary demo` simulate days in seconds. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date): void {
    if (at.getTime() < this.current) throw new Error(`a clock does not go backwards (${at.toISOString()})`);
    this.current = at.getTime();
  }

  advance(ms: number): void {
    this.set(new Date(this.current + ms));
  }
}

/**
 * Wall-clock time sped up: `start` at real instant `epoch`, then `speed` simulated ms per real
 * ms. Every process configured with the same three values agrees on the time, so a whole
 * distributed cluster can live through days of schedules in minutes (tests, demos). Durations
 * the services keep in the database (retry delays, the worker timeout) are simulated time too.
 */
export class ScaledClock implements Clock {
  constructor(
    readonly start: Date,
    readonly epoch: Date,
    readonly speed: number,
  ) {
    if (!(speed > 0)) throw new Error(`a clock's speed must be positive, got ${speed}`);
  }

  now(): Date {
    return new Date(this.start.getTime() + (Date.now() - this.epoch.getTime()) * this.speed);
  }
}
