import { HttpException, Inject, Injectable } from '@nestjs/common';
import { DagDefinition } from '@tributary/domain';
import { Database } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE } from '@tributary/runtime';
import { SchedulerService } from '@tributary/scheduler';
import { validationFailed } from '../http-errors';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhook,
} from './webhook-signature';

/** One HTTP delivery, as the controller read it: headers as sent, the body's exact bytes. */
export interface WebhookDelivery {
  dagId: string;
  timestamp?: string;
  signature?: string;
  deliveryId?: string;
  rawBody: Buffer;
}

export interface AcceptedWebhook {
  runId: string;
  /** The delivery id was seen before: this is the run it requested. */
  duplicate: boolean;
}

/**
 * A signature is kept twice as long as a timestamp is valid either way, so every signature
 * the window accepts is still on record when it is replayed.
 */
const DELIVERY_RETENTION_MS = 2 * WEBHOOK_TOLERANCE_SECONDS * 1000;
const MAX_DELIVERY_ID_LENGTH = 250;

/**
 * Turns a signed webhook into an `external` run whose `conf` is the body. Every refusal is
 * an HTTP error with a `code` and a message that names the problem and the fix.
 */
@Injectable()
export class WebhookIntake {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly scheduler: SchedulerService,
  ) {}

  async receive(delivery: WebhookDelivery): Promise<AcceptedWebhook> {
    const { dagId } = delivery;
    const secretEnv = await this.secretEnvOf(dagId);
    // Read at request time and never stored: the secret lives only in the API's environment.
    const secret = process.env[secretEnv];
    if (!secret) {
      throw rejection(
        503,
        'webhook_secret_missing',
        `the API has no secret for DAG '${dagId}': set the environment variable ${secretEnv} on the API process and restart it`,
      );
    }
    const missing = [
      [TIMESTAMP_HEADER, delivery.timestamp],
      [SIGNATURE_HEADER, delivery.signature],
    ].filter(([, value]) => !value);
    if (missing.length > 0) {
      throw rejection(
        401,
        'missing_header',
        `${missing.map(([name]) => name).join(' and ')} missing: send ${TIMESTAMP_HEADER} (unix seconds) and ${SIGNATURE_HEADER} (sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">)`,
      );
    }
    const now = this.clock.now();
    const verified = verifyWebhook({
      secret,
      timestampHeader: delivery.timestamp!,
      signatureHeader: delivery.signature!,
      rawBody: delivery.rawBody,
      now,
    });
    if (!verified.ok) throw rejection(401, verified.reason, verified.message);

    const conf = parseConf(delivery.rawBody);
    const deliveryId = delivery.deliveryId?.trim();
    if (deliveryId !== undefined && (deliveryId.length === 0 || deliveryId.length > MAX_DELIVERY_ID_LENGTH)) {
      throw validationFailed({
        [DELIVERY_HEADER]: [`${DELIVERY_HEADER} must be 1 to ${MAX_DELIVERY_ID_LENGTH} characters`],
      });
    }
    // Signatures differ between deliveries, so two webhooks in the same millisecond get two runs.
    const runId = `external__${now.toISOString()}__${verified.signature.slice('sha256='.length, 'sha256='.length + 12)}`;
    const requested = await this.scheduler.requestRun(
      dagId,
      'external',
      { conf, runId, idempotencyKey: deliveryId, logicalDate: now },
      async (em) => {
        await em.query(`DELETE FROM webhook_deliveries WHERE received_at < $1`, [
          new Date(now.getTime() - DELIVERY_RETENTION_MS),
        ]);
        const recorded = await em.query(
          `INSERT INTO webhook_deliveries (dag_id, signature, received_at) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING signature`,
          [dagId, verified.signature, now],
        );
        if (recorded.length === 0) {
          throw rejection(
            409,
            'replayed',
            `this signature was already accepted for DAG '${dagId}': to retry a delivery, sign it again with the current time and send the same ${DELIVERY_HEADER}`,
          );
        }
      },
    );
    if (!requested) throw rejection(404, 'not_found', `no DAG '${dagId}'`);
    return requested;
  }

  /** The env var holding the DAG's secret; 404 when the DAG is unknown or takes no webhooks. */
  private async secretEnvOf(dagId: string): Promise<string> {
    const [row] = await this.db.manager.query(`SELECT definition FROM dags WHERE dag_id = $1 AND is_active`, [
      dagId,
    ]);
    if (!row) throw rejection(404, 'not_found', `no DAG '${dagId}'`);
    const definition: DagDefinition = row.definition;
    if (!definition.webhook?.secretEnv) {
      throw rejection(
        404,
        'webhooks_not_accepted',
        `DAG ${dagId} does not accept webhooks: add webhook: { secretEnv } to its options`,
      );
    }
    return definition.webhook.secretEnv;
  }
}

/** The body becomes the run's conf, so it must be a JSON object. */
function parseConf(rawBody: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw validationFailed({
      body: [
        `body must be a JSON object, e.g. {"orderId": 42}; it is ${rawBody.length === 0 ? 'empty' : 'not valid JSON'}`,
      ],
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw validationFailed({ body: [`body must be a JSON object, e.g. {"orderId": 42}; it is ${kind}`] });
  }
  return value as Record<string, unknown>;
}

function rejection(status: number, code: string, message: string): HttpException {
  return new HttpException({ statusCode: status, code, message }, status);
}
