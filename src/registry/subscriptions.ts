import type { Redis } from 'ioredis';

type Listener = (message: string) => void;

interface Channel {
  listeners: Set<Listener>;
  /** The SUBSCRIBE of this channel; listeners wait for it so nothing published after they return is missed. */
  ready: Promise<unknown>;
}

/**
 * Pub/sub listeners multiplexed over one connection in subscriber mode,
 * opened on first use (a connection that has subscribed can run nothing else).
 * SUBSCRIBE and UNSUBSCRIBE go out in call order on that one connection, so a
 * channel dropped and taken up again ends up subscribed.
 */
export class ChannelSubscriptions {
  private connection: Redis | undefined;
  private readonly channels = new Map<string, Channel>();
  private readonly resubscribed = new Set<() => void>();

  constructor(
    private readonly source: Redis,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Calls `listener` with each message on `channel` from when this resolves; the function it resolves to stops it. */
  async listen(channel: string, listener: Listener): Promise<() => Promise<void>> {
    const connection = this.connect();
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), ready: connection.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    const joined = entry;
    joined.listeners.add(listener);
    try {
      await joined.ready;
    } catch (error) {
      joined.listeners.delete(listener);
      if (this.channels.get(channel) === joined) this.channels.delete(channel);
      throw error;
    }
    let listening = true;
    // Never rejects, as callers stop listening from close handlers that cannot await: once the
    // listener is gone no message reaches it, and a failed UNSUBSCRIBE only leaves a channel whose
    // messages are dropped.
    return async () => {
      if (!listening) return;
      listening = false;
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.channels.get(channel) === joined) {
        this.channels.delete(channel);
        await connection.unsubscribe(channel).catch(this.onError);
      }
    };
  }

  /**
   * Calls `listener` each time the connection comes back after dropping, once its channels are
   * subscribed again: what was published while it was down never arrived. The result stops it.
   */
  onResubscribed(listener: () => void): () => void {
    this.resubscribed.add(listener);
    return () => this.resubscribed.delete(listener);
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.channels.clear();
    if (connection) await connection.quit().catch(() => connection.disconnect());
  }

  private connect(): Redis {
    if (this.connection) return this.connection;
    const connection = this.source.duplicate();
    connection.on('error', this.onError);
    connection.on('message', (channel: string, message: string) => {
      const entry = this.channels.get(channel);
      if (!entry) return;
      // A listener's failure is reported, and neither stops the others nor escapes into ioredis.
      for (const listener of [...entry.listeners]) {
        try {
          listener(message);
        } catch (error) {
          this.onError(error);
        }
      }
    });
    let connectedBefore = false;
    connection.on('ready', () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      // ioredis queues the SUBSCRIBEs again before 'ready' reaches here; the PING's reply comes after theirs.
      connection.ping().then(
        () => {
          for (const listener of [...this.resubscribed]) {
            try {
              listener();
            } catch (error) {
              this.onError(error);
            }
          }
        },
        this.onError,
      );
    });
    this.connection = connection;
    return connection;
  }
}
