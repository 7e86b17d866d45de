export * from './auth.decorators';
export * from './auth.guards';
export * from './jwt.strategy';
