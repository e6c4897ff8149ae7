// A minimal Alertmanager webhook receiver for demos, drills and tests: it keeps every
// notification it receives in memory, prints each as one JSON line, and lists them at
// GET /notifications. Plain Node (no dependencies) so compose runs it in the stock node
// image and the native stack runs the same file. Not a production receiver.
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 5001);
const host = process.env.HOST ?? "0.0.0.0";
const MAX_KEPT = 1000;
const MAX_BODY = 1024 * 1024;
/** @type {Array<{receivedAt: string, receiver: string, status: string, alerts: Array<{status: string, labels: Record<string,string>, annotations: Record<string,string>, startsAt: string, endsAt: string}>}>} */
const notifications = [];

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.method === "GET" && url.pathname === "/healthz") return reply(200, { status: "ok" });
  if (req.method === "GET" && url.pathname === "/notifications") return reply(200, notifications);
  if (req.method === "DELETE" && url.pathname === "/notifications") {
    notifications.length = 0;
    return reply(200, notifications);
  }
  if (req.method !== "POST") return reply(405, { error: "POST a notification, or GET /notifications" });
  let size = 0;
  const chunks = [];
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on("end", () => {
    try {
      const payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const notification = {
        receivedAt: new Date().toISOString(),
        receiver: url.pathname.replace(/^\//, "") || "default",
        status: payload.status,
        alerts: (payload.alerts ?? []).map((a) => ({
          status: a.status,
          labels: a.labels,
          annotations: a.annotations,
          startsAt: a.startsAt,
          endsAt: a.endsAt,
        })),
      };
      notifications.push(notification);
      if (notifications.length > MAX_KEPT) notifications.shift();
      process.stdout.write(`${JSON.stringify(notification)}\n`);
      reply(200, { ok: true });
    } catch {
      reply(400, { error: "body is not JSON" });
    }
  });
});

server.listen(port, host, () => process.stdout.write(`alert-webhook listening on ${host}:${port}\n`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
