import { Module } from '@nestjs/common';
import { readinessCheck } from '@oip/platform/nest';
import { DataSource } from 'typeorm';

/** Readiness follows the database; the platform already registers the RabbitMQ check. */
@Module({
  providers: [
    readinessCheck('database', [DataSource], (dataSource: DataSource) => async () => {
      await dataSource.query('SELECT 1');
    }),
  ],
})
export class HealthModule {}
