export * from './broker-connection';
export * from './consumer';
export * from './publisher';
export * from './topology';
export * from './event-routing';
export * from './dead-letters';
