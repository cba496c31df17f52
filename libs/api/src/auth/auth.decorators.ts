import { SetMetadata, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiPrincipal, ApiRole } from './api-tokens';

export const ROLES_KEY = 'tributary:role';
export const PUBLIC_KEY = 'tributary:public';

/** The least role a route needs (default: viewer for GET, operator for anything else). */
export const Roles = (role: ApiRole) => SetMetadata(ROLES_KEY, role);

export interface PublicRouteOptions {
  /** Health probes and metrics scrapes are not rate-limited; everything else public is. */
  rateLimit?: boolean;
}

/** A route anyone may call without a token (webhooks prove themselves with HMAC signatures). */
export const Public = (options: PublicRouteOptions = {}) =>
  SetMetadata(PUBLIC_KEY, { rateLimit: options.rateLimit ?? true });

/** The token a request authenticated with. */
export const Principal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): ApiPrincipal => ctx.switchToHttp().getRequest().principal,
);
