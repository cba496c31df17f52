import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AssetEventEvent, TOPICS } from '@tributary/messaging';
import { ASSETS_GROUP, AssetsService } from './assets.service';

@Controller()
export class AssetsConsumer {
  constructor(private readonly assets: AssetsService) {}

  @EventPattern(TOPICS.assetEvents, { group: ASSETS_GROUP })
  onAssetEvent(@Payload() event: AssetEventEvent): Promise<void> {
    return this.assets.onAssetEvent(event);
  }
}
