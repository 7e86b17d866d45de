import { FAULT_SKIP_REASON } from './fault-tests';

/**
 * A node:test reporter beside the spec reporter (see run-tests.ts): writes one JSON line per test
 * or suite skipped as a fault test, which the runner turns into its summary.
 */
interface ReportedEvent {
  type: string;
  data?: { name?: string; file?: string; skip?: string | boolean; details?: { type?: string } };
}

async function* faultSkipReporter(source: AsyncIterable<ReportedEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data?.skip !== FAULT_SKIP_REASON) continue;
    yield `${JSON.stringify({ name: event.data.name, file: event.data.file, suite: event.data.details?.type === 'suite' })}\n`;
  }
}

// node:test loads a reporter by its default export; a CommonJS module's default is module.exports.
export = faultSkipReporter;
