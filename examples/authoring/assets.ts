import { asset } from '@tributary/sdk';

// Producers declare freshness contracts; consumers schedule on the assets, not on the producers' clocks.
export const rawEvents = asset('raw.events', {
  description: 'Clickstream events landed from Kafka, partitioned by day',
  freshness: { by: '03:00', timezone: 'America/Los_Angeles' },
});

export const rawPayments = asset('raw.payments', {
  description: 'Stripe payments, partitioned by day',
  freshness: { maxLag: '30m' },
});

export const rawAccounts = asset('raw.accounts', {
  freshness: { by: '02:00', timezone: 'America/Los_Angeles' },
});
