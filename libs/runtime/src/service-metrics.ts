/**
 * What services report for /metrics. Distributed processes export these to Prometheus;
 * standalone mode records nothing (NO_METRICS).
 */
export interface ServiceMetrics {
  /** A message reached a handler: handled, retried after a failure, or dead-lettered. */
  eventHandled(topic: string, group: string, outcome: 'handled' | 'failed_attempt' | 'dead_lettered'): void;
  /** An executor claimed a try that waited `queuedMs` since it was queued. */
  taskStarted(queuedMs: number): void;
  /** A try ended after `durationMs` of running. */
  taskFinished(outcome: 'succeeded' | 'failed' | 'rescheduled', durationMs: number): void;
}

export const NO_METRICS: ServiceMetrics = {
  eventHandled: () => undefined,
  taskStarted: () => undefined,
  taskFinished: () => undefined,
};
