import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadServiceConfig } from '../config';
import { databaseOptions } from './database-options';

/**
 * Entry point of the typeorm CLI (`npm run migration:*` on the compiled file). The service itself
 * never imports this module: building a DataSource at import time would read the environment
 * outside the boot path that reports a bad config.
 */
export const dataSource = new DataSource(databaseOptions(loadServiceConfig()));
