export * from './dag-bundle';
export * from './typescript-loader';
