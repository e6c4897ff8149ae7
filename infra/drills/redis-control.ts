/**
 * The Redis commands drills need (FLUSHALL, DEL, CONFIG, INFO), over the `redis` npm client
 * when the drill can reach Redis (native stack, or a compose stack with the port published),
 * or through `docker compose exec redis redis-cli` when Redis stays on compose's network.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createClient } from "redis";

export interface RedisControl {
  flushAll(): Promise<void>;
  /** Deletes keys; returns how many existed. */
  del(keys: readonly string[]): Promise<number>;
  configGet(parameter: string): Promise<string>;
  configSet(parameter: string, value: string): Promise<void>;
  /** One INFO section as key -> value. */
  info(section: string): Promise<Record<string, string>>;
  /** Any command; the reply as text (nil as ""). */
  command(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * One try of `command` that gives up after `ms`: through a balancer whose backend has no master
 * yet a connection can hang instead of failing, and a drill measuring recovery must keep polling.
 */
export async function tryCommand(
  control: RedisControl,
  ms: number,
  ...args: string[]
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([control.command(...args).catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) out[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return out;
}

/** A client that outlives Redis restarts (redis-down) and fails fast while Redis is away. */
export function redisClientControl(url: string): RedisControl {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    // Behind HAProxy a reconnect during a failover can meet a proxy that holds it open with no
    // answer, or closes it while the handshake is built (the service's cache client has the
    // same two settings, for the same reasons): a silent socket is dropped and redialled, and
    // the handshake does not wait on a host name lookup.
    maintNotifications: "disabled",
    socket: {
      connectTimeout: 1_000,
      socketTimeout: 3_000,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 1_000),
    },
  });
  // Without a listener node-redis throws on connection errors; drills stop Redis on purpose.
  client.on("error", () => {});
  let connecting: Promise<unknown> | undefined;
  const ready = async () => {
    if (!client.isOpen) connecting ??= client.connect();
    await connecting;
    if (!client.isReady) throw new Error(`Redis at ${url} is not reachable`);
    return client;
  };
  return {
    async flushAll() {
      await (await ready()).flushAll();
    },
    async del(keys) {
      return keys.length ? await (await ready()).del([...keys]) : 0;
    },
    async configGet(parameter) {
      const reply = await (await ready()).configGet(parameter);
      return String(reply[parameter] ?? "");
    },
    async configSet(parameter, value) {
      await (await ready()).configSet(parameter, value);
    },
    async info(section) {
      return parseInfo(await (await ready()).info(section));
    },
    async command(...args) {
      const reply = await (await ready()).sendCommand(args);
      return reply === null || reply === undefined ? "" : String(reply);
    },
    async close() {
      if (client.isOpen) await client.close().catch(() => client.destroy());
    },
  };
}

const run = promisify(execFile);

/** redis-cli inside the compose `redis` service (no published port needed). */
export function composeRedisControl(cwd: string, service = "redis"): RedisControl {
  const cli = async (...args: string[]) =>
    (await run("docker", ["compose", "exec", "-T", service, "redis-cli", ...args], { cwd })).stdout;
  return {
    async flushAll() {
      await cli("FLUSHALL");
    },
    async del(keys) {
      return keys.length ? Number((await cli("DEL", ...keys)).trim()) : 0;
    },
    async configGet(parameter) {
      return (await cli("CONFIG", "GET", parameter)).split("\n")[1]?.trim() ?? "";
    },
    async configSet(parameter, value) {
      await cli("CONFIG", "SET", parameter, value);
    },
    async info(section) {
      return parseInfo(await cli("INFO", section));
    },
    async command(...args) {
      return (await cli(...args)).trim();
    },
    async close() {},
  };
}
