import { deadLetterRouter, serviceApp, type DeadLetters, type ServiceKit } from '@oip/platform';
import type { Express } from 'express';
import { notificationsRouter } from './notifications/notifications.router';
import type { NotificationService } from './notifications/notifications.service';

/** Builds the HTTP app; never listens (main.ts and tests decide where). */
export function buildApp(kit: ServiceKit, notifications: NotificationService, deadLetters: DeadLetters): Express {
  return serviceApp(kit, { title: 'notification-service', version: '1.0.0', description: 'Notifications stored and e-mailed per event' }, [
    notificationsRouter(notifications),
    deadLetterRouter(deadLetters),
  ]);
}
