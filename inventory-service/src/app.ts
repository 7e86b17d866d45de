import { deadLetterRouter, serviceApp, type DeadLetters, type ServiceKit } from '@oip/platform';
import type { Express } from 'express';
import { stockRouter } from './stock/stock.router';
import type { StockService } from './stock/stock.service';

/** Builds the HTTP app; never listens (main.ts and tests decide where). */
export function buildApp(kit: ServiceKit, stock: StockService, deadLetters: DeadLetters): Express {
  return serviceApp(kit, { title: 'inventory-service', version: '1.0.0', description: 'Stock levels and per-order holds' }, [stockRouter(stock), deadLetterRouter(deadLetters)]);
}
