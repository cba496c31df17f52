import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Database } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE } from '@tributary/runtime';
import { ApiPrincipal, ApiRole, findApiPrincipal, roleAllows, touchApiToken } from './api-tokens';
import { PUBLIC_KEY, PublicRouteOptions, ROLES_KEY } from './auth.decorators';
import { RateLimiter } from './rate-limiter';

export const API_AUTH_OPTIONS = Symbol('ApiAuthOptions');

export interface ApiAuthOptions {
  /** Requests a minute each client address may make without a valid token. */
  unauthenticatedPerMinute: number;
}

/** TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT (requests a minute per address; default 120). */
export function apiAuthOptionsFromEnv(env: Record<string, string | undefined> = process.env): ApiAuthOptions {
  const raw = env.TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT;
  const perMinute = raw === undefined || raw === '' ? 120 : Number(raw);
  if (!Number.isInteger(perMinute) || perMinute < 1)
    throw new Error(
      `TRIBUTARY_UNAUTHENTICATED_RATE_LIMIT: '${raw}' must be a whole number of requests a minute, ≥ 1`,
    );
  return { unauthenticatedPerMinute: perMinute };
}

interface HttpRequest {
  method: string;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
  principal?: ApiPrincipal;
}

/** A token's last use is written at most once a minute: reads stay reads. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Every HTTP route needs a bearer token with enough role, unless it is `@Public()`. Requests
 * without a valid token (public routes, and failed attempts) share a per-address rate limit.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  private readonly limiter: RateLimiter;
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(API_AUTH_OPTIONS) options: ApiAuthOptions,
  ) {
    this.limiter = new RateLimiter(options.unauthenticatedPerMinute);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Message handlers (Kafka, in-process) are not HTTP: their producers are trusted services.
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const targets = [context.getHandler(), context.getClass()];
    const publicRoute = this.reflector.getAllAndOverride<Required<PublicRouteOptions> | undefined>(
      PUBLIC_KEY,
      targets,
    );
    if (publicRoute) {
      if (publicRoute.rateLimit) this.limit(request);
      return true;
    }
    const token = bearerToken(request.headers.authorization);
    const principal = token ? await findApiPrincipal(this.db, token) : null;
    if (!principal) {
      this.limit(request);
      throw new UnauthorizedException({
        statusCode: 401,
        code: 'unauthorized',
        message: token
          ? 'the bearer token is unknown or revoked: ask an admin for a new one (`tributary tokens create --role viewer`)'
          : 'this endpoint needs a bearer token: send `Authorization: Bearer <token>` (create one with `tributary tokens create --role viewer`)',
      });
    }
    const needed =
      this.reflector.getAllAndOverride<ApiRole | undefined>(ROLES_KEY, targets) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'operator');
    if (!roleAllows(principal.role, needed)) {
      throw new ForbiddenException({
        statusCode: 403,
        code: 'forbidden',
        message: `this needs the ${needed} role; the token '${principal.name}' is a ${principal.role} token`,
      });
    }
    request.principal = principal;
    await this.touch(principal);
    return true;
  }

  private limit(request: HttpRequest): void {
    const key = request.ip ?? 'unknown';
    if (this.limiter.take(key)) return;
    const retryAfter = this.limiter.retryAfterSeconds(key);
    throw new HttpException(
      {
        statusCode: 429,
        code: 'rate_limited',
        message: `too many requests without a valid token from ${key}; retry in ${retryAfter}s or authenticate with a bearer token`,
        retryAfterSeconds: retryAfter,
      },
      429,
    );
  }

  private async touch(principal: ApiPrincipal): Promise<void> {
    const now = this.clock.now();
    const last = this.touched.get(principal.tokenId);
    if (last !== undefined && now.getTime() - last < TOUCH_EVERY_MS) return;
    this.touched.set(principal.tokenId, now.getTime());
    await touchApiToken(this.db, principal.tokenId, now);
  }
}

function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return match ? match[1] : null;
}
