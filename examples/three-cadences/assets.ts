// The assets the three-cadences DAGs produce and read. Producers declare freshness
// contracts; the mart checks real coverage before it reads (see daily_revenue_by_account.ts).
import { asset } from '@tributary/sdk';
import { ZONE } from './warehouse';

export const rawEvents = asset('raw.events', {
  description: 'Clickstream events landed from the simulated Kafka topic (warehouse.raw_events)',
  freshness: { maxLag: '15m' },
});

export const rawPayments = asset('raw.payments', {
  description: 'Stripe payments landed by high-water mark (warehouse.raw_payments)',
  freshness: { maxLag: '45m' },
});

export const rawAccounts = asset('raw.accounts', {
  description: 'Salesforce accounts, a full snapshot a day (warehouse.raw_accounts)',
  freshness: { by: '02:00', timezone: ZONE },
});

export const martDailyRevenue = asset('mart.daily_revenue_by_account', {
  description: 'One row per active account per Los Angeles day: events and revenue',
  freshness: { by: '07:00', timezone: ZONE },
});
