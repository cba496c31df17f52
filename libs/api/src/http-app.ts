import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { validationPipe } from './http-errors';

/**
 * What every process serving the REST API sets up (standalone and the distributed api):
 * validated bodies and queries, and the OpenAPI document with interactive docs at /api/docs
 * (JSON at /api/docs-json).
 */
export function configureHttpApp(app: INestApplication, options: { openApi?: boolean } = {}): void {
  app.useGlobalPipes(validationPipe());
  if (options.openApi === false) return;
  const config = new DocumentBuilder()
    .setTitle('Tributary REST API')
    .setDescription(
      'DAGs, runs, task instances, backfills, assets, freshness and alerts. Every call needs ' +
        '`Authorization: Bearer <token>` (viewer reads, operator acts, admin manages tokens) except ' +
        'signed webhooks. Errors are JSON `{statusCode, code, message, fields?}`; lists are ' +
        '`{items, total, limit, offset}`.',
    )
    .setVersion('v1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API token, e.g. trb_…' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
