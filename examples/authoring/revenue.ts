import { and, assets, dag, manual, or } from '@tributary/sdk';
import { rawAccounts, rawEvents, rawPayments } from './assets';

// Runs for logical date D once events AND (payments OR accounts) have landed for D.
// If that has not happened by 05:00 Los Angeles time, alert the on-call.
export const dailyRevenueByAccount = dag(
  'daily_revenue_by_account',
  {
    schedule: assets(and(rawEvents, or(rawPayments, rawAccounts)), {
      partitioned: true,
      fallback: { at: '0 5 * * *', timezone: 'America/Los_Angeles', action: 'alert' },
    }),
    timezone: 'America/Los_Angeles',
    maxActiveRuns: 1,
    maxActiveTasks: 4,
    tags: ['mart'],
    owner: 'analytics',
  },
  (d) => {
    const extract = d.task(
      'extract',
      async (ctx) => ctx.log.info(`reading partition ${ctx.logicalDate.toISOString()}`),
      {
        inlets: [rawEvents, rawPayments, rawAccounts],
      },
    );
    const build = d.sql(
      'build_mart',
      'INSERT INTO mart.daily_revenue_by_account SELECT ... WHERE revenue_date = :logical_date',
      { timeout: '20m', outlets: ['mart.daily_revenue_by_account'] },
    );
    const notify = d.http('notify_finance', {
      url: 'https://finance.example.com/hooks/revenue',
      method: 'POST',
    });
    // Runs whether the mart build succeeded or failed, to report either way.
    const report = d.task('report_status', async () => undefined, { triggerRule: 'all_done' });
    extract.then(build).then([notify, report]);
  },
);

// No schedule: runs only when triggered (REST, webhook, Kafka message or the CLI), with conf.
export const rebuildMart = dag(
  'rebuild_mart',
  { schedule: manual(), description: 'Rebuilds one day on request' },
  (d) => {
    d.task('rebuild', async (ctx) => ctx.log.info(`rebuilding ${String(ctx.conf.date ?? 'latest')}`));
  },
);
