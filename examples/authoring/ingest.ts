import { cron, dag, every } from '@tributary/sdk';
import { rawAccounts, rawEvents, rawPayments } from './assets';

// Every 5 minutes, anchored at the start date: consume a micro-batch, land it, register the partition.
export const kafkaEventsToRaw = dag(
  'kafka_events_to_raw',
  {
    schedule: every('5m'),
    startDate: '2026-04-01',
    maxActiveRuns: 1,
    tags: ['ingest', 'kafka'],
    owner: 'data-platform',
    description: 'Lands the clickstream topic into raw.events',
    defaults: { retries: 3, retryDelay: '30s', exponentialBackoff: true, maxRetryDelay: '5m' },
  },
  (d) => {
    const consume = d.task('micro_batch_consume', async (ctx) => {
      ctx.log.info('consuming', {
        from: ctx.dataInterval.start.toISOString(),
        to: ctx.dataInterval.end.toISOString(),
      });
      return { offsets: { 0: 1200 } };
    });
    const land = d.task('land', async (ctx) => ctx.log.info(`landing for ${ctx.logicalDate.toISOString()}`), {
      timeout: '10m',
    });
    const register = d.shell('register_partition', 'echo "registering partition $TRIBUTARY_LOGICAL_DATE"', {
      outlets: [rawEvents],
    });
    // Dependencies read both ways: consume.then(land) is the same as land.after(consume).
    consume.then(land).then(register);
  },
);

// Every 15 minutes: fetch pages, land them. Retries back off exponentially with jitter.
export const stripePaymentsToRaw = dag('stripe_payments_to_raw', { schedule: every('15m') }, (d) => {
  const fetchPages = d.task('fetch_pages', async () => [], {
    retries: 5,
    retryDelay: '1m',
    exponentialBackoff: true,
    maxRetryDelay: '15m',
    retryJitter: 0.2,
  });
  d.task('land', async () => undefined, { outlets: [rawPayments] }).after(fetchPages);
});

// Daily at 01:00 Los Angeles time, DST-correct; catch up missed days, but backfill at most 90 days back.
export const salesforceToRaw = dag(
  'salesforce_to_raw',
  {
    schedule: cron('0 1 * * *', { timezone: 'America/Los_Angeles' }),
    startDate: '2026-01-01',
    catchup: true,
    backfillWindow: '90d',
  },
  (d) => {
    const ready = d.sensor('api_available', async () => true, {
      mode: 'reschedule',
      pokeInterval: '2m',
      timeout: '1h',
      softFail: false,
    });
    const fetchAccounts = d.task('fetch_accounts', async () => undefined, { retries: 2, retryDelay: '10m' });
    const land = d.task('land', async () => undefined, { outlets: [rawAccounts] });
    d.chain(ready, fetchAccounts, land);
  },
);
