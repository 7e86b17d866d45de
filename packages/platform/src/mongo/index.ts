export * from './connection';
export * from './idempotency';
export * from './versioned-collection';
export * from './document-outbox';
export * from './document-outbox-lag';
