export * from './database';
export * from './entities';
export * from './migrations';
export * from './pglite/pglite-pg-driver';
export * from './workers';
export * from './timers';
