import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WEBHOOK_TOLERANCE_SECONDS,
  signWebhook,
} from '@tributary/api';
import { ID_PATTERN } from '@tributary/domain';
import { CliError } from './cli-error';

export interface WebhookSignInput {
  dagId: string;
  /** The JSON object to send, exactly as it will be sent: these bytes are what is signed. */
  body: string;
  /** The environment variable holding the secret (what the DAG's `webhook.secretEnv` names). */
  secretEnv?: string;
  secret?: string;
  /** The API's base URL. */
  url?: string;
  /** Sent as X-Tributary-Delivery: the run's idempotency key, so a re-signed retry is one run. */
  delivery?: string;
  env?: Record<string, string | undefined>;
  now?: Date;
}

export interface SignedWebhook {
  url: string;
  timestamp: number;
  headers: Record<string, string>;
  body: string;
  /** A shell command that sends it (POSIX quoting). */
  curl: string;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

/** `tributary webhook sign`: signs a body for a DAG's webhook with the current time. */
export function signWebhookRequest(input: WebhookSignInput): SignedWebhook {
  if (!ID_PATTERN.test(input.dagId)) {
    throw new CliError(`dagId: '${input.dagId}' is not a DAG id (letters, digits, '_', '-', '.')`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.body);
  } catch (error) {
    throw new CliError(
      `--body: not valid JSON (${(error as Error).message}); quote it, e.g. --body '{"orderId": 42}'`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`--body: must be a JSON object (it becomes the run's conf), e.g. '{"orderId": 42}'`);
  }
  const secret = secretOf(input);
  let base: URL;
  try {
    base = new URL(input.url ?? DEFAULT_API_URL);
  } catch {
    throw new CliError(`--url: '${input.url}' is not a URL; use e.g. ${DEFAULT_API_URL}`);
  }
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}/api/v1/webhooks/${encodeURIComponent(input.dagId)}`;
  const timestamp = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signWebhook(secret, timestamp, input.body),
    ...(input.delivery ? { [DELIVERY_HEADER]: input.delivery } : {}),
  };
  const curl = [
    `curl -sS -X POST ${shellQuote(url)}`,
    ...Object.entries(headers).map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`),
    `--data-binary ${shellQuote(input.body)}`,
  ].join(' \\\n  ');
  return { url, timestamp, headers, body: input.body, curl };
}

/** What to tell the user besides the command (on stderr, so stdout stays a pasteable command). */
export function describeSignedWebhook(signed: SignedWebhook): string {
  const until = new Date((signed.timestamp + WEBHOOK_TOLERANCE_SECONDS) * 1000).toISOString();
  return `signed at ${signed.timestamp}: send it before ${until}; the API accepts each signature once`;
}

function secretOf(input: WebhookSignInput): string {
  if (input.secret !== undefined && input.secretEnv !== undefined) {
    throw new CliError('give either --secret-env or --secret, not both');
  }
  if (input.secret !== undefined) {
    if (input.secret.length === 0) throw new CliError('--secret: the secret is empty');
    return input.secret;
  }
  if (input.secretEnv === undefined) {
    throw new CliError(
      "no secret: pass --secret-env NAME (the variable the DAG's webhook.secretEnv names) or --secret S",
    );
  }
  const secret = (input.env ?? process.env)[input.secretEnv];
  if (!secret) {
    throw new CliError(
      `--secret-env: ${input.secretEnv} is not set in this shell; export it (the same value the API has) or pass --secret`,
    );
  }
  return secret;
}

/** POSIX single quoting: everything literal, a quote as '\''. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
