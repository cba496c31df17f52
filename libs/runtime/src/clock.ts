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
