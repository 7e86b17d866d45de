import { z } from 'zod';

/**
 * What one running instance writes under `/services/<name>/<id>` in etcd while it lives. Anyone may
 * write to etcd, so every value read back is parsed: a malformed one is skipped, never routed to.
 */
export const instanceRecordSchema = z.object({
  id: z.string().min(1).max(200),
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  url: z.url({ protocol: /^https?$/ }),
  version: z.string().max(100),
  startedAt: z.iso.datetime(),
  pid: z.number().int().nonnegative(),
  host: z.string().max(255),
});

export type InstanceRecord = z.infer<typeof instanceRecordSchema>;

/** The prefix under which every instance of every service is registered. */
export const SERVICES_PREFIX = '/services/';

export function instanceKey(record: Pick<InstanceRecord, 'name' | 'id'>): string {
  return `${SERVICES_PREFIX}${record.name}/${record.id}`;
}

export type ParsedInstance = { ok: true; record: InstanceRecord } | { ok: false; reason: string };

/** Parses a registry entry; the key must agree with the record it holds. */
export function parseInstance(key: string, value: string): ParsedInstance {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = instanceRecordSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
  if (key !== instanceKey(parsed.data)) return { ok: false, reason: `key does not match ${instanceKey(parsed.data)}` };
  return { ok: true, record: parsed.data };
}
