export * from './connection';
export * from './idempotency';
