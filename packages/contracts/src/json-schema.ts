import { z } from 'zod';
import { eventDataSchemas, type EventType } from './events';

/** JSON Schema (2020-12) of each event's data, for the AsyncAPI document in docs/. */
export function eventDataJsonSchemas(): Record<EventType, unknown> {
  const entries = Object.entries(eventDataSchemas).map(([type, schema]) => [type, z.toJSONSchema(schema, { io: 'input' })]);
  return Object.fromEntries(entries) as Record<EventType, unknown>;
}
