export * from './clock';
export * from './tokens';
export * from './dag-registry';
