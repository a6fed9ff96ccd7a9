// Seed 003 test backend: the NestJS Socket.IO gateway (namespace /ws) and its REST emit API under /api,
// in plain Node (node:http + socket.io 4). Usage: node server.js PORT [--ping-interval MS] [--ping-timeout MS]
// PORT 0 picks a free port; prints "READY <port>" once listening on 127.0.0.1.
import http from "node:http";
import { Server } from "socket.io";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const port = Number(args[0] ?? 4000);
const HISTORY_LIMIT = 100; // the seed: "historial de 100 últimos eventos"
const started = Date.now();
const history = [];
// Names socket.io refuses to emit (it throws): answered with 400 instead.
const RESERVED = new Set(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);
const counters = { emitEvent: 0, updateDashboard: 0, notifyRole: 0, notifyUser: 0 };

const httpServer = http.createServer((req, res) => {
  handle(req, res).catch((err) => reply(res, 500, { error: String(err) }));
});
const io = new Server(httpServer, {
  cors: { origin: "*" },
  pingInterval: option("--ping-interval", 25000),
  pingTimeout: option("--ping-timeout", 20000),
});
const ws = io.of("/ws");

// A client declares who it is in handshake.auth {userId, role} or the query (?userId=&role=); it may
// also (re)declare later with the "join" event. Rooms: user:{userId}, role:{role}.
function identify(socket, who) {
  const userId = who.userId ?? who.user_id;
  const role = who.role;
  if (userId !== undefined && userId !== null && userId !== "") {
    socket.data.userId = String(userId);
    socket.join(`user:${userId}`);
  }
  if (role) {
    socket.data.role = String(role);
    socket.join(`role:${role}`);
  }
  return [...socket.rooms].filter((r) => r !== socket.id);
}

ws.on("connection", (socket) => {
  const { auth = {}, query = {} } = socket.handshake;
  identify(socket, { userId: auth.userId ?? query.userId, role: auth.role ?? query.role });
  socket.on("join", (who, ack) => {
    const rooms = identify(socket, who ?? {});
    if (typeof ack === "function") ack({ ok: true, rooms });
  });
});

function remember(entry) {
  history.push({ ...entry, receivedAt: new Date().toISOString() });
  if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text) return {};
  const body = JSON.parse(text);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new SyntaxError("not an object");
  return body;
}

function reply(res, status, body) {
  res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" });
  res.end(JSON.stringify(body));
}

async function stats() {
  const sockets = await ws.fetchSockets();
  const byUser = {};
  const byRole = {};
  for (const s of sockets) {
    if (s.data.userId) byUser[s.data.userId] = (byUser[s.data.userId] ?? 0) + 1;
    if (s.data.role) byRole[s.data.role] = (byRole[s.data.role] ?? 0) + 1;
  }
  return { connections: sockets.length, byUser, byRole, emitted: { ...counters }, history: history.length };
}

const routes = {
  "GET /api/health": async () => [200, { status: "ok", connections: ws.sockets.size, uptime: (Date.now() - started) / 1000 }],

  // {type, data, timestamp} -> the event named `type`, with the whole body, to every /ws client.
  "POST /api/dashboard/emit-event": async (body) => {
    if (typeof body.type !== "string" || !body.type) return [400, { error: "type is required" }];
    if (RESERVED.has(body.type)) return [400, { error: `reserved event name: ${body.type}` }];
    const event = { type: body.type, data: body.data ?? {}, timestamp: body.timestamp ?? new Date().toISOString() };
    ws.emit(event.type, event);
    remember({ kind: "emit-event", event: event.type, payload: event });
    counters.emitEvent++;
    return [202, { status: "accepted", event: event.type }];
  },

  // Any JSON object -> "dashboard:update" with that object, to every /ws client.
  "POST /api/dashboard/update-dashboard": async (body) => {
    ws.emit("dashboard:update", body);
    remember({ kind: "update-dashboard", event: "dashboard:update", payload: body });
    counters.updateDashboard++;
    return [202, { status: "accepted", event: "dashboard:update" }];
  },

  // {role, event, payload} -> the event named `event`, with `payload`, to room role:{role}.
  "POST /api/dashboard/notify-role": async (body) => {
    if (!body.role || !body.event) return [400, { error: "role and event are required" }];
    if (RESERVED.has(body.event)) return [400, { error: `reserved event name: ${body.event}` }];
    const room = `role:${body.role}`;
    ws.to(room).emit(body.event, body.payload ?? {});
    remember({ kind: "notify-role", event: body.event, room, payload: body.payload ?? {} });
    counters.notifyRole++;
    return [202, { status: "accepted", room, event: body.event }];
  },

  // {userId, event, payload} -> the event named `event`, with `payload`, to room user:{userId}.
  "POST /api/dashboard/notify-user": async (body) => {
    if (body.userId === undefined || body.userId === null || !body.event) {
      return [400, { error: "userId and event are required" }];
    }
    if (RESERVED.has(body.event)) return [400, { error: `reserved event name: ${body.event}` }];
    const room = `user:${body.userId}`;
    ws.to(room).emit(body.event, body.payload ?? {});
    remember({ kind: "notify-user", event: body.event, room, payload: body.payload ?? {} });
    counters.notifyUser++;
    return [202, { status: "accepted", room, event: body.event }];
  },

  // Test controls.
  "GET /__test/stats": async () => [200, await stats()],
  "GET /__test/history": async () => [200, { events: history }],
  "POST /__test/drop": async (body) => {
    // {userId?} -> disconnect those sockets (all when absent); clients see "io server disconnect".
    const target = body.userId !== undefined ? ws.in(`user:${body.userId}`) : ws;
    const sockets = await target.fetchSockets();
    target.disconnectSockets(true);
    return [200, { dropped: sockets.length }];
  },
  "POST /__test/reset": async () => {
    history.length = 0;
    for (const k of Object.keys(counters)) counters[k] = 0;
    return [200, { status: "ok" }];
  },
};

async function handle(req, res) {
  const path = new URL(req.url, "http://x").pathname.replace(/\/+$/, "");
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": "content-type",
    });
    return res.end();
  }
  const route = routes[`${req.method} ${path}`];
  if (!route) return reply(res, 404, { error: "not found", path });
  let body = {};
  if (req.method === "POST") {
    try {
      body = await readJson(req);
    } catch {
      return reply(res, 400, { error: "body must be a JSON object" });
    }
  }
  const [status, answer] = await route(body);
  reply(res, status, answer);
}

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`READY ${httpServer.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
