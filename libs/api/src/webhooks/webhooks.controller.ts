import { Controller, HttpCode, Param, PayloadTooLargeException, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Readable } from 'stream';
import { Public } from '../auth/auth.decorators';
import { WebhookIntake } from './webhook-intake.service';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature';

/** What this controller reads of an express request (the app is created with `rawBody: true`). */
type WebhookRequest = Readable & {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
};

/** `POST /api/v1/webhooks/:dagId`: a signed delivery becomes an `external` run (see WebhookIntake). */
// Signed with the DAG's HMAC secret instead of a token; rate-limited like every public route.
@ApiTags('webhooks')
@Public()
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly intake: WebhookIntake) {}

  @Post(':dagId')
  @HttpCode(202)
  async receive(
    @Param('dagId') dagId: string,
    @Req() request: WebhookRequest,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const { runId, duplicate } = await this.intake.receive({
      dagId,
      timestamp: header(request, TIMESTAMP_HEADER),
      signature: header(request, SIGNATURE_HEADER),
      deliveryId: header(request, DELIVERY_HEADER),
      rawBody: await rawBodyOf(request),
    });
    if (duplicate) response.status(200);
    return { dagId, runId, status: duplicate ? 'duplicate' : 'requested' };
  }
}

function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The exact bytes sent: kept by the JSON (or form) parser, or read here when no parser
 * took the request (another content type), since the signature covers the bytes, not the JSON.
 */
async function rawBodyOf(request: WebhookRequest): Promise<Buffer> {
  if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
  if (request.readableEnded) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buffer.length;
    // The JSON parser's default limit, for bodies it did not read.
    if (size > 100 * 1024) throw new PayloadTooLargeException('a webhook body may be at most 100 kB');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
