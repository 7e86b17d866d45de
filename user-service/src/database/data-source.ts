import { migrationDataSource } from '@oip/platform/typeorm';
import { loadServiceConfig } from '../config';
import { databaseOptions } from './database-options';

export const dataSource = migrationDataSource(databaseOptions(loadServiceConfig()));
