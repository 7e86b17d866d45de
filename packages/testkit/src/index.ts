export * from './infrastructure';
export * from './fault-tests';
export * from './service-process';
export * from './wait';
export * from './service-shell-suite';
export * from './test-issuer';
export * from './http-client';
export * from './mailbox';
