import { Module } from '@nestjs/common';
import { AssetsConsumer } from './assets.consumer';
import { AssetsService } from './assets.service';

@Module({ controllers: [AssetsConsumer], providers: [AssetsService], exports: [AssetsService] })
export class AssetsModule {}
