import { Redis } from 'ioredis';

/**
 * The registry connection of a worker, which waits out a Redis outage
 * instead of failing the job it trains: commands queue while Redis is away
 * and are sent (again, when one was in flight) once it answers; a command
 * still unanswered after `waitMs` rejects, so an outage longer than that
 * fails the job rather than holding it forever. The writes a worker makes
 * (an epoch, a version) are idempotent, so a resent one lands once.
 * The API keeps its fail-fast connection: it answers 503 instead.
 */
export function createPatientConnection(url: string, waitMs: number): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    commandTimeout: waitMs,
  });
}
