import { Redis } from 'ioredis';

/** A command as MONITOR reports it: its words, and the client (`ip:port`) that sent it. */
export interface MonitoredCommand {
  args: string[];
  source: string;
}

export interface MonitorOptions {
  /** The Redis server to watch. */
  url: string;
  /** A key no other command names: sent once `work` is done, its report means every earlier command was reported. */
  marker: string;
  /** Sends a command naming the marker, on any connection to that server. */
  sendMarker: (marker: string) => Promise<unknown>;
  /** Which commands to keep. */
  keep: (command: MonitoredCommand) => boolean;
}

/**
 * The commands Redis runs while `work` runs, as MONITOR reports them. The
 * watching connection never reconnects: a dropped or broken MONITOR fails the
 * test at once instead of leaving it waiting for a marker that cannot come.
 */
export async function commandsDuring(options: MonitorOptions, work: () => Promise<unknown>): Promise<MonitoredCommand[]> {
  const watcher = new Redis(options.url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  const monitor = await watcher.monitor();
  const seen: MonitoredCommand[] = [];
  let markerSeen = (): void => undefined;
  let broken = (_error: Error): void => undefined;
  const markerReported = new Promise<void>((resolve, reject) => {
    markerSeen = resolve;
    broken = reject;
  });
  // Not unhandled when the work itself fails first.
  markerReported.catch(() => undefined);
  monitor.on('error', (error: Error) => broken(new Error(`the MONITOR connection failed: ${error.message}`)));
  monitor.on('end', () => broken(new Error('the MONITOR connection closed before the marker was reported')));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args.includes(options.marker)) markerSeen();
    else if (options.keep({ args, source })) seen.push({ args, source });
  });
  try {
    await work();
    // MONITOR reports in the order the server runs commands: once the marker is in, everything before it is.
    await options.sendMarker(options.marker);
    await markerReported;
  } finally {
    monitor.disconnect();
    watcher.disconnect();
  }
  return seen;
}
