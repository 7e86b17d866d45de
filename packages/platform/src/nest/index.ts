export * from './nest-service';
export * from './openapi-document';
export * from './pino-nest.logger';
export * from './platform.module';
export * from './postgres-options';
export * from './readiness-check';
export * from './problem-exception.filter';
export * from './validation.pipe';
