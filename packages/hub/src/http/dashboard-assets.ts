import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The pages of the dashboard's client-side router: each answers with index.html. */
const PAGE_PATHS = /^\/(?:|overview|apis(?:\/.*)?|instances(?:\/.*)?|services|events)$/;
const ASSET_PREFIX = '/assets/';
/** The page loads only its own script, styles and API: nothing injected can load or send anything else. */
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface Asset {
  body: Buffer;
  gzipped: Buffer | undefined;
  type: string;
  cacheControl: string;
}

export interface DashboardAssetsOptions {
  /** The built dashboard (`packages/dashboard/dist`); found by itself when not given. */
  dir?: string;
  /** `server.routePrefix`: where the dashboard's pages find the API. */
  apiPrefix: string;
}

/** Serves the dashboard, or says how to build it; `serve` returns false for paths that are not its own. */
export interface DashboardAssets {
  /** Where the assets were read from, or undefined when they are not built. */
  readonly dir: string | undefined;
  serve(request: IncomingMessage, response: ServerResponse, path: string): boolean;
}

/**
 * The dashboard's static files, read into memory once (a few tens of KB), gzipped once.
 * `index.html` is never cached by browsers (it names the current hashed assets), the hashed
 * `/assets/*` files are cached for a year. Client-side routes (`/apis/…`) answer with index.html.
 *
 * @example
 * const dashboard = createDashboardAssets({ apiPrefix: '' });
 * if (dashboard.serve(request, response, path)) return;
 */
export function createDashboardAssets(options: DashboardAssetsOptions): DashboardAssets {
  const dir = options.dir ?? findDashboardDir();
  const files = new Map<string, Asset>();
  if (dir !== undefined) {
    for (const file of walk(dir)) {
      const urlPath = `/${relative(dir, file).split(sep).join('/')}`;
      let body = readFileSync(file);
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      if (urlPath === '/index.html') {
        // The API's prefix, for the page's requests (the dashboard itself stays at /).
        body = Buffer.from(
          body
            .toString('utf8')
            .replace('content="__API_PREFIX__"', `content="${escapeAttr(options.apiPrefix)}"`),
        );
      }
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type);
      files.set(urlPath, {
        body,
        gzipped: compressible && body.length > 512 ? gzipSync(body) : undefined,
        type,
        cacheControl: urlPath.startsWith(ASSET_PREFIX) ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
  }
  const index = files.get('/index.html');

  return {
    dir: index ? dir : undefined,
    serve(request, response, path) {
      const method = request.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') return false;
      const isPage = PAGE_PATHS.test(path);
      if (!isPage && !path.startsWith(ASSET_PREFIX) && path !== '/favicon.svg') return false;
      if (!index) {
        if (!isPage) return false;
        const text =
          'The dashboard is not built. Run `npm run build` (or `npm run build -w @heartbeat/dashboard`) ' +
          'in the Heartbeat checkout, then restart the hub. The API is served as usual under /v1/.\n';
        response.writeHead(503, {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
          'content-length': String(Buffer.byteLength(text)),
        });
        response.end(method === 'HEAD' ? undefined : text);
        return true;
      }
      const asset = isPage ? index : files.get(path);
      if (!asset) return false;
      const gzip = asset.gzipped !== undefined && /\bgzip\b/.test(String(request.headers['accept-encoding']));
      const body = gzip ? asset.gzipped! : asset.body;
      response.writeHead(200, {
        'content-type': asset.type,
        'cache-control': asset.cacheControl,
        'content-length': String(body.length),
        'x-content-type-options': 'nosniff',
        ...(asset === index && { 'content-security-policy': PAGE_POLICY, 'referrer-policy': 'no-referrer' }),
        ...(gzip && { 'content-encoding': 'gzip' }),
        vary: 'accept-encoding',
      });
      response.end(method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}

/** `@heartbeat/dashboard`'s dist/, resolved as a package, else beside this package in the checkout. */
export function findDashboardDir(): string | undefined {
  const candidates: string[] = [];
  try {
    const pkg = createRequire(import.meta.url).resolve('@heartbeat/dashboard/package.json');
    candidates.push(join(dirname(pkg), 'dist'));
  } catch {
    // Not installed as a package: try the checkout's layout below.
  }
  // packages/hub/{src,dist}/http → packages/dashboard/dist
  candidates.push(fileURLToPath(new URL('../../../dashboard/dist', import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

function walk(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...walk(path));
    else found.push(path);
  }
  return found;
}

function escapeAttr(value: string): string {
  return value.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
