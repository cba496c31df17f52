import { Module } from '@nestjs/common';
import { AssetsConsumer } from './assets.consumer';
import { AssetsService } from './assets.service';

@Module({ providers: [AssetsService], exports: [AssetsService] })
export class AssetsModule {}

/** The assets service proper: its consumer of `asset.events`. */
@Module({ imports: [AssetsModule], controllers: [AssetsConsumer] })
export class AssetsConsumerModule {}
