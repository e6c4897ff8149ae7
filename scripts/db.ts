/**
 * `task db:start` / `task db:stop`: a local Redis with the project's infra/redis/redis.conf on
 * 127.0.0.1 (default port 6379, or REDIS_PORT), left running in the background for `npm start`
 * and `npm run dev`; its pid and log files go to .tmp/. Starting is a no-op when a Redis already
 * answers on the port.
 *
 *   tsx scripts/db.ts start|stop [port]
 */
import path from "node:path";
import { redisAnswers, redisCommand, startRedis } from "../lib/harness/redis.js";
import { REPO_ROOT } from "../lib/repo.js";

const [command, portArg] = process.argv.slice(2);
const port = Number(portArg ?? process.env.REDIS_PORT ?? 6379);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  process.stderr.write(`db: ${portArg}: not a port number\n`);
  process.exit(2);
}

if (command === "start") {
  if (await redisAnswers(port)) {
    process.stdout.write(`redis already answers on 127.0.0.1:${port}\n`);
  } else {
    const dir = path.join(REPO_ROOT, ".tmp");
    const redis = await startRedis({ projectConfig: true, port, detachedIn: dir });
    process.stdout.write(`redis listening on ${redis.url} (pid ${redis.pid}; log .tmp/redis-${port}.log)\n`);
  }
} else if (command === "stop") {
  if (!(await redisAnswers(port))) {
    process.stdout.write(`no redis answers on 127.0.0.1:${port}\n`);
  } else {
    // SHUTDOWN closes the connection instead of replying; an error reply means it refused.
    const reply = await redisCommand(port, ["SHUTDOWN", "NOSAVE"]).catch(() => "");
    process.stdout.write(
      reply.startsWith("-") ? `redis refused: ${reply}\n` : `redis on 127.0.0.1:${port} stopped\n`,
    );
  }
} else {
  process.stderr.write("usage: tsx scripts/db.ts start|stop [port]\n");
  process.exit(2);
}
