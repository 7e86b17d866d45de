export * from './email';
export * from './events';
export * from './cloud-event';
export * from './json-schema';
export * from './asyncapi';
