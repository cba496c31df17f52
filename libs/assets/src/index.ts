export * from './assets.service';
export * from './assets.consumer';
export * from './assets.module';
export * from './asset-freshness';
