import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tracedModules } from '../src/telemetry/instrumentations';

/** Which instrumentations a service process loads: all four, or those OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves. */
describe('The instrumentations a service loads', () => {
  const loaded = (disabled: string | undefined): string[] => {
    if (disabled === undefined) delete process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'];
    else process.env['OTEL_NODE_DISABLED_INSTRUMENTATIONS'] = disabled;
    const instrumentations = (tracedModules() ?? []).flat();
    // Constructed means patching: undone at once, nothing here is traced.
    for (const instrumentation of instrumentations) instrumentation.disable();
    return instrumentations.map((instrumentation) => instrumentation.instrumentationName.replace('@opentelemetry/instrumentation-', '')).sort();
  };

  it('When nothing is disabled, then fetch, pg, mongodb and amqplib are instrumented', () => {
    assert.deepEqual(loaded(undefined), ['amqplib', 'mongodb', 'pg', 'undici']);
    assert.deepEqual(loaded(''), ['amqplib', 'mongodb', 'pg', 'undici']);
  });

  it('When some are disabled by name, then those are left out', () => {
    assert.deepEqual(loaded('mongodb, amqplib'), ['pg', 'undici']);
    assert.deepEqual(loaded('undici,pg,mongodb,amqplib'), []);
  });
});
