import { Router } from 'express';
import { authenticator, metricsRefusal, prometheusTargets, registryView, sendProblem, type MetricsAccess, type RegistryView, type ServiceKit } from '@oip/platform';

/**
 * The registry as the gateway sees it: `/registry` for operators (admin token; JSON, or a plain
 * page for a browser that asks for HTML) and `/registry/targets` for Prometheus' HTTP service
 * discovery, under the same rule as `/metrics` (METRICS_TOKEN).
 */
export function registryRouter(kit: ServiceKit, metricsAccess: MetricsAccess): Router {
  const router = Router();
  const authenticate = authenticator(kit.verifyToken);
  router.get('/registry', async (req, res) => {
    await authenticate(req, 'admin');
    const view = await registryView(kit.discovery);
    res.set('cache-control', 'no-store');
    if (req.accepts(['application/json', 'text/html']) === 'text/html') res.type('html').send(registryPage(view));
    else res.json(view);
  });
  router.get('/registry/targets', (req, res) => {
    const refused = metricsRefusal(req.header('authorization'), metricsAccess);
    if (refused) {
      sendProblem(res, refused);
      return;
    }
    res.set('cache-control', 'no-store').json(prometheusTargets(kit.discovery));
  });
  return router;
}

const escape = (text: string | null): string =>
  (text ?? '—').replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** No script and no style: the page passes the gateway's Content-Security-Policy as it is. */
function registryPage(view: RegistryView): string {
  const rows = view.services.flatMap((service) =>
    service.instances.map(
      (instance) =>
        `<tr><td>${escape(service.name)}</td><td>${escape(instance.id)}</td><td>${escape(instance.url)}</td><td>${escape(instance.status)}</td><td>${escape(instance.lastSeen)}</td><td>${escape(instance.startedAt)}</td><td>${escape(instance.version)}</td></tr>`,
    ),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service registry</title></head>
<body><h1>Service registry (${escape(view.discovery)})</h1>
<table border="1" cellpadding="4"><thead><tr><th>service</th><th>instance</th><th>url</th><th>status</th><th>last heartbeat</th><th>started</th><th>version</th></tr></thead>
<tbody>${rows.join('\n') || '<tr><td colspan="7">No instance is registered.</td></tr>'}</tbody></table></body></html>
`;
}
