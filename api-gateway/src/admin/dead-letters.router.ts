import { subscriptions } from '@oip/contracts';
import { AppError, ApiRouter, DeadLetterIdParams, DeadLetterListQuery, DeadLetterView, fetchService, REQUEST_ID_HEADER, type InstancePicker } from '@oip/platform';
import type { Request } from 'express';
import { z } from 'zod';
import type { Upstream } from '../routes';

/**
 * The dead-letter admin API of the whole platform: one listing over every service that consumes
 * events (each entry names its service), and replay / discard passed to the service that owns the
 * message. The services check the admin role again; they are the ones that touch RabbitMQ.
 */
const ServiceDeadLetter = DeadLetterView.extend({ service: z.string() });
const AggregatedList = z.object({
  items: z.array(ServiceDeadLetter),
  services: z.array(z.object({ name: z.string(), status: z.enum(['ok', 'unavailable']), total: z.number().nullable() })),
});
const ServiceMessageParams = DeadLetterIdParams.extend({ service: z.string() });

function forwardedHeaders(req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  const authorization = req.header('authorization');
  if (authorization) headers['authorization'] = authorization;
  const requestId = req.header(REQUEST_ID_HEADER);
  if (requestId) headers[REQUEST_ID_HEADER] = requestId;
  return headers;
}

export function deadLettersRouter(services: readonly Upstream[], picker: InstancePicker, timeoutMs: number): ApiRouter {
  const consuming = services.filter((service) => Object.hasOwn(subscriptions, service.name));
  const router = new ApiRouter('admin').route(
    {
      method: 'get',
      path: '/admin/dead-letters',
      summary: 'Dead letters of every service that consumes events, each naming its service; a service that does not answer is listed as unavailable',
      access: 'admin',
      query: DeadLetterListQuery,
      response: AggregatedList,
    },
    async ({ query, req }) => {
      const answers = await Promise.all(
        consuming.map(async (service) => {
          try {
            const answer = await fetchService(picker, service.name, `/admin/dead-letters?limit=${query.limit}`, { headers: forwardedHeaders(req), signal: AbortSignal.timeout(timeoutMs) });
            if (!answer.ok) return { service, list: undefined };
            return { service, list: (await answer.json()) as { total: number; items: Array<Record<string, unknown>> } };
          } catch {
            return { service, list: undefined };
          }
        }),
      );
      return {
        items: answers.flatMap(({ service, list }) => (list?.items ?? []).map((item) => ({ service: service.name, ...item }))),
        services: answers.map(({ service, list }) => ({ name: service.name, status: list ? 'ok' : 'unavailable', total: list?.total ?? null })),
      };
    },
  );
  for (const action of ['replay', 'discard'] as const) {
    router.route(
      {
        method: 'post',
        path: `/admin/dead-letters/:service/:messageId/${action}`,
        summary: action === 'replay' ? "Send a dead letter back to its service's queue, retries reset" : 'Remove a dead letter for good',
        access: 'admin',
        params: ServiceMessageParams,
        response: ServiceDeadLetter,
        errors: [404, 503],
      },
      async ({ params, req, res }) => {
        const service = consuming.find((candidate) => candidate.name === params.service);
        if (!service) throw new AppError('not_found', 'DEAD_LETTER.UNKNOWN_SERVICE', `${params.service} consumes no events (services: ${consuming.map((one) => one.name).join(', ')})`);
        let answer: Response;
        try {
          answer = await fetchService(picker, service.name, `/admin/dead-letters/${encodeURIComponent(params.messageId)}/${action}`, {
            method: 'POST',
            headers: forwardedHeaders(req),
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch {
          throw new AppError('unavailable', 'UPSTREAM.UNAVAILABLE', `${service.name} is unavailable`);
        }
        const body = (await answer.json().catch(() => undefined)) as Record<string, unknown> | undefined;
        if (!body) throw new AppError('unavailable', 'UPSTREAM.UNAVAILABLE', `${service.name} gave no readable answer`);
        if (answer.ok) return { service: service.name, ...body };
        // The service's problem+json (404, 503 ...) reaches the client as it is.
        res.status(answer.status).type(answer.headers.get('content-type') ?? 'application/problem+json').send(JSON.stringify(body));
        return undefined;
      },
    );
  }
  return router;
}
