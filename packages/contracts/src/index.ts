export * from './email';
export * from './events';
export * from './money';
export * from './cloud-event';
export * from './json-schema';
export * from './asyncapi';
