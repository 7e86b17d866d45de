import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { ApiRouter, type Logger } from '@oip/platform';
import { z } from 'zod';

/** Where `npm run build` puts the web app (web/vite.config.mts), from api-gateway/dist/src/web. */
export const WEB_APP_DIR = path.resolve(__dirname, '../../../../web/dist/app');

/**
 * Scripts, styles, images and API calls from this origin only: no inline script or style, no
 * framing. The app is built to need nothing else (Vite emits external files only).
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the gateway answers itself or proxies: never the app's client routes. */
const reserved = /^\/(api|docs|openapi|health|registry|metrics)(\/|\.|$)/;

/**
 * The built web app at `/`: hashed files under /assets are cached for a year (a new build has new
 * names), everything else is revalidated, and any other GET that wants HTML gets index.html so a
 * client route survives a reload. Without a build (the gateway alone, in a test) it serves nothing.
 */
export function webAppRouter(logger: Logger, dir = WEB_APP_DIR): Router {
  const router = Router();
  const index = path.join(dir, 'index.html');
  if (!existsSync(index)) {
    logger.info({ dir }, 'no web app build found: / is not served (npm run build builds it)');
    return router;
  }
  const secure = (res: Response): void => {
    res.setHeader('content-security-policy', WEB_CSP);
  };
  const files = express.static(dir, {
    index: false,
    setHeaders: (res, file) => {
      secure(res);
      const immutable = file.startsWith(path.join(dir, 'assets') + path.sep);
      res.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  router.use((req, res, next) => {
    if (reserved.test(req.path)) {
      next();
      return;
    }
    files(req, res, next);
  });
  router.use((req, res, next) => {
    // `/` is the app for anyone; another path only for a client that prefers HTML (a browser): one
    // that takes anything (*/*) still gets the problem+json 404 an unknown path has always answered.
    const wantsPage = req.path === '/' || req.accepts(['application/json', 'text/html']) === 'text/html';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || reserved.test(req.path) || req.path.startsWith('/assets/') || !wantsPage) {
      next();
      return;
    }
    secure(res);
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}

const ConsoleLinks = z.object({ links: z.array(z.object({ label: z.string(), url: z.string() })) });

/**
 * The operators' links to the infrastructure UIs (RabbitMQ management, the mail catcher, Mongo
 * Express, pgAdmin), from CONSOLE_LINKS: where they live depends on the deployment, not the build.
 */
export function consoleLinksRouter(links: readonly string[]): ApiRouter {
  const parsed = links.flatMap((entry) => {
    const at = entry.indexOf('=');
    return at > 0 ? [{ label: entry.slice(0, at).trim(), url: entry.slice(at + 1).trim() }] : [];
  });
  return new ApiRouter('console').route(
    { method: 'get', path: '/console/links', summary: 'Links to the infrastructure UIs for the operations console (CONSOLE_LINKS)', access: 'admin', response: ConsoleLinks },
    async () => ({ links: parsed }),
  );
}
