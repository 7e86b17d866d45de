export * from './discovery';
export * from './etcd-client';
export * from './etcd-resolver';
export * from './instance-record';
export * from './instance-registration';
export * from './service-resolver';
export * from './service-fetch';
export * from './registry-view';
