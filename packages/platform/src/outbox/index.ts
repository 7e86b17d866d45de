export * from './enqueue';
export * from './outbox.entity';
export * from './outbox-relay';
export * from './outbox.module';
export * from './inbox';
