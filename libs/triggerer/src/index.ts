export * from './triggerer.service';
export * from './triggerer.consumer';
export * from './triggerer.module';
