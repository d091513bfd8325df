/**
 * ioredis clients for BullMQ (`maxRetriesPerRequest: null`, as BullMQ's blocking commands need),
 * and a watch on them: Redis unreachable for longer than a grace period is reported once, so a
 * run fails cleanly instead of waiting forever for a server that is gone.
 */
import { Redis } from 'ioredis';

export interface RedisClients {
  /** A new client (each BullMQ Queue, Worker and QueueEvents gets its own). */
  client(): Redis;
  /** Resolves with a message once some client has been unable to reach Redis for `downSeconds`. */
  readonly lost: Promise<string>;
  /** Whether `lost` has resolved. */
  readonly isLost: boolean;
  /** Disconnects every client made. */
  close(): Promise<void>;
}

export interface RedisClientsOptions {
  /** Seconds without a connection before `lost` resolves. Defaults to 5. */
  downSeconds?: number;
}

/** Clients of the Redis at `url` (redis://host:port[/db]). */
export function redisClients(url: string, options: RedisClientsOptions = {}): RedisClients {
  const downMs = (options.downSeconds ?? 5) * 1000;
  const made: Redis[] = [];
  let lostNow = false;
  let resolveLost!: (m: string) => void;
  const lost = new Promise<string>((r) => (resolveLost = r));
  const shown = url.replace(/\/\/[^@/]*@/, '//***@'); // no password in messages
  let closing = false;
  const client = () => {
    const c = new Redis(url, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      connectTimeout: Math.min(downMs, 10_000),
    });
    made.push(c);
    let downSince: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let lastError = 'connection closed';
    const down = () => {
      if (closing || timer) return;
      downSince ??= Date.now();
      timer = setTimeout(() => {
        lostNow = true;
        resolveLost(
          `lost the connection to Redis at ${shown} (${lastError}; unreachable for ${Math.round((Date.now() - downSince!) / 1000)}s)`,
        );
      }, downMs);
      timer.unref();
    };
    c.on('error', (e: Error) => {
      lastError = e.message;
      down();
    });
    c.on('close', down);
    c.on('ready', () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      downSince = undefined;
    });
    return c;
  };
  return {
    client,
    lost,
    get isLost() {
      return lostNow;
    },
    async close() {
      closing = true;
      await Promise.all(
        made.map((c) =>
          c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : Promise.resolve(c.disconnect()),
        ),
      );
    },
  };
}
