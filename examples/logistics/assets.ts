// The assets the logistics DAGs produce and read. Each producing team promises when a day
// is complete (its freshness contract); the analytics team's DAG is scheduled on the
// assets themselves and builds a day only once both inputs are complete for it.
import { asset } from '@tributary/sdk';
import { ZONE } from './warehouse';

export const rawShipments = asset('raw.shipments', {
  description:
    'Parcels handed to carriers, landed hour by hour from the carrier exports (logistics.shipments)',
  freshness: { by: '04:00', timezone: ZONE },
});

export const rawInventory = asset('raw.inventory', {
  description:
    'Inventory received, picked and on hand per warehouse, in 6-hour windows (logistics.inventory_snapshots)',
  freshness: { by: '04:30', timezone: ZONE },
});

export const dailyLogisticsReport = asset('report.daily_logistics', {
  description:
    'Per-warehouse daily totals: shipments, units shipped, received, picked, closing stock (logistics.daily_report)',
});
