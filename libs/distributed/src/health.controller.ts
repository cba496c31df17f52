import { Controller, Get, Header, Inject, ServiceUnavailableException } from '@nestjs/common';
import { Public } from '@tributary/api';

export const SERVICE_PROBE = Symbol('ServiceProbe');

export interface HealthReport {
  status: 'ok' | 'unavailable';
  service: string;
  workerId: string;
  checks: Record<string, 'ok' | string>;
}

/** What the health and metrics endpoints ask the running service. */
export interface ServiceProbe {
  health(): Promise<HealthReport>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

/** `/health` (200 when the database and Kafka answer, else 503) and `/metrics` (Prometheus text). */
// Probes and scrapers carry no token and call often: public, and not rate-limited.
@Public({ rateLimit: false })
@Controller()
export class HealthController {
  constructor(@Inject(SERVICE_PROBE) private readonly probe: ServiceProbe) {}

  @Get('health')
  async health(): Promise<HealthReport> {
    const report = await this.probe.health();
    if (report.status !== 'ok') throw new ServiceUnavailableException(report);
    return report;
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    return (await this.probe.metrics()).body;
  }
}
