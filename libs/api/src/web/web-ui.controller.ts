import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { existsSync, promises as fs } from 'fs';
import * as path from 'path';
import { NotFoundError } from '@tributary/coordinator';
import { Public } from '../auth/auth.decorators';

/** The part of an express response this controller uses. */
interface StaticResponse {
  redirect(status: number, url: string): void;
  status(code: number): StaticResponse;
  set(headers: Record<string, string>): StaticResponse;
  send(body: Buffer): void;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Scripts, styles and API calls come only from this server; nothing may frame the UI. */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  // Small files, revalidated each load (express answers 304 on a matching ETag).
  'Cache-Control': 'no-cache',
};

/**
 * The folder holding index.html, app.js and app.css (`libs/api/web` in the repository): the
 * first ancestor of this file that contains it. That is the repository root under ts-jest
 * (libs/api/src/web/) and the install root when compiled (dist/libs/api/src/web/).
 */
export function findWebRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'libs', 'api', 'web');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`the web UI files (libs/api/web/index.html) are in no folder above ${from}`);
    }
  }
}

/**
 * The file a request path names inside `root`, or null when the path could leave it (`..`,
 * encoded slashes or backslashes, NUL) or names a hidden file.
 */
export function resolveWebFile(root: string, segments: readonly string[]): string | null {
  if (segments.length === 0) return null;
  for (const segment of segments) {
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return null;
  }
  const resolved = path.resolve(root, ...segments);
  return resolved.startsWith(root + path.sep) ? resolved : null;
}

/**
 * The web UI, served by the API process: `GET /` redirects to `/ui/`, `GET /ui/` is the single
 * page app and `GET /ui/<file>` its static files. Public: the page asks for a token itself and
 * sends it with every API call; these files hold no data.
 */
@ApiExcludeController()
@Public({ rateLimit: false })
@Controller()
export class WebUiController {
  private root: string | null = null;
  private readonly cache = new Map<string, { mtimeMs: number; body: Buffer }>();

  @Get()
  home(@Res() response: StaticResponse): void {
    response.redirect(302, '/ui/');
  }

  @Get('ui')
  async index(@Req() request: { originalUrl: string }, @Res() response: StaticResponse): Promise<void> {
    // Without the trailing slash the page's relative links would resolve against `/`.
    const [pathname, search] = request.originalUrl.split('?');
    if (!pathname.endsWith('/')) return response.redirect(301, `${pathname}/${search ? `?${search}` : ''}`);
    await this.send(response, ['index.html']);
  }

  @Get('ui/*path')
  async file(@Param('path') segments: string[] | string, @Res() response: StaticResponse): Promise<void> {
    await this.send(response, Array.isArray(segments) ? segments : segments.split('/'));
  }

  private async send(response: StaticResponse, segments: string[]): Promise<void> {
    const root = (this.root ??= findWebRoot());
    const file = resolveWebFile(root, segments);
    const contentType = file ? CONTENT_TYPES[path.extname(file).toLowerCase()] : undefined;
    const body = file && contentType ? await this.read(file) : null;
    if (!body || !contentType) throw new NotFoundError(`no web UI file '${segments.join('/')}'`);
    response
      .status(200)
      .set({ 'Content-Type': contentType, ...SECURITY_HEADERS })
      .send(body);
  }

  private async read(file: string): Promise<Buffer | null> {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) return null;
    const cached = this.cache.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs) return cached.body;
    const body = await fs.readFile(file);
    this.cache.set(file, { mtimeMs: stat.mtimeMs, body });
    return body;
  }
}
