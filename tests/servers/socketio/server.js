// Seed 003 test backend: the NestJS Socket.IO gateway (namespace /ws) and its REST emit API under /api,
// in plain Node (node:http + socket.io 4).
// Usage: node server.js PORT [--ping-interval MS] [--ping-timeout MS] [--reading bare|twins]
//                            [--twin-order generic-first|specific-first]
// PORT 0 picks a free port; prints "READY <port>" once listening on 127.0.0.1.
//
// Readings (the seed shows no gateway code, so real gateways differ; see tests/servers/README.md):
// - bare (default): each REST call emits one event, named after the call's `type` / `event`.
// - twins: the gateway a NestJS developer writes from the seed's frontend (onBusinessEvent for any
//   business event, onReservaNueva for one kind): a `connected` greeting on connection, every
//   business event twice (`business_event` with the envelope, `type` with the bare data), every
//   notification twice (`event` with the payload, `notification` with an envelope), and
//   GET /api/dashboard/history. --twin-order sets which of each pair goes out first.
import http from "node:http";
import { Server } from "socket.io";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const READINGS = ["bare", "twins"];
const TWIN_ORDERS = ["generic-first", "specific-first"];
const choice = (name, allowed) => {
  const i = args.indexOf(name);
  if (i < 0) return allowed[0];
  const value = args[i + 1];
  if (!allowed.includes(value)) {
    console.error(`${name} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return value;
};
// The startup config (command line); POST /__test/config changes `config`, POST /__test/reset restores it.
const startupConfig = { reading: choice("--reading", READINGS), twinOrder: choice("--twin-order", TWIN_ORDERS) };
const config = { ...startupConfig };
const port = Number(args[0] ?? 4000);
const HISTORY_LIMIT = 100; // the seed: "historial de 100 últimos eventos"
const started = Date.now();
const history = [];
// Twins reading only: the envelopes GET /api/dashboard/history answers (oldest first, last 100).
const dashboardHistory = [];
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
  if (config.reading === "twins") {
    // A NestJS handleConnection greeting.
    socket.emit("connected", {
      message: "Conectado al servidor WebSocket",
      socketId: socket.id,
      timestamp: new Date().toISOString(),
    });
  }
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

function rememberEnvelope(envelope) {
  dashboardHistory.push(envelope);
  if (dashboardHistory.length > HISTORY_LIMIT) dashboardHistory.splice(0, dashboardHistory.length - HISTORY_LIMIT);
}

// Twins reading: emit the generic and the specific event to `target` (the namespace or a room) in
// the configured order; returns [{event, payload}, …] as emitted, for /__test/history.
function emitTwins(target, generic, specific) {
  const pair = config.twinOrder === "generic-first" ? [generic, specific] : [specific, generic];
  for (const { event, payload } of pair) target.emit(event, payload);
  return pair;
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

// notify-role / notify-user. bare: the event named `event` with `payload` to `room`. twins: that AND
// `notification` with the envelope {type: event, data: payload, timestamp: now}, to the same room.
function notify(kind, room, event, payload) {
  if (config.reading === "twins") {
    const envelope = { type: event, data: payload, timestamp: new Date().toISOString() };
    const emitted = emitTwins(ws.to(room), { event: "notification", payload: envelope }, { event, payload });
    rememberEnvelope({ ...envelope, room });
    remember({ kind, event, room, payload, emitted });
  } else {
    ws.to(room).emit(event, payload);
    remember({ kind, event, room, payload });
  }
}

const routes = {
  "GET /api/health": async () => [200, { status: "ok", connections: ws.sockets.size, uptime: (Date.now() - started) / 1000 }],

  // {type, data, timestamp} -> bare: the event named `type`, with the whole body, to every /ws client.
  // twins: `business_event` with the whole body and the event named `type` with only `data`.
  "POST /api/dashboard/emit-event": async (body) => {
    if (typeof body.type !== "string" || !body.type) return [400, { error: "type is required" }];
    if (RESERVED.has(body.type)) return [400, { error: `reserved event name: ${body.type}` }];
    const event = { type: body.type, data: body.data ?? {}, timestamp: body.timestamp ?? new Date().toISOString() };
    if (config.reading === "twins") {
      const emitted = emitTwins(ws, { event: "business_event", payload: event }, { event: event.type, payload: event.data });
      rememberEnvelope(event);
      remember({ kind: "emit-event", event: event.type, payload: event, emitted });
    } else {
      ws.emit(event.type, event);
      remember({ kind: "emit-event", event: event.type, payload: event });
    }
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
    notify("notify-role", room, body.event, body.payload ?? {});
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
    notify("notify-user", room, body.event, body.payload ?? {});
    counters.notifyUser++;
    return [202, { status: "accepted", room, event: body.event }];
  },

  // Twins reading only (bare: 404 like any unknown path): the last 100 envelopes, oldest first.
  "GET /api/dashboard/history": async (_body, path) =>
    config.reading === "twins" ? [200, dashboardHistory] : [404, { error: "not found", path }],

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
  "GET /__test/config": async () => [200, { ...config }],
  // {reading?, twinOrder?} -> the config after the change; unknown keys or values -> 400, nothing changed.
  "POST /__test/config": async (body) => {
    const allowed = { reading: READINGS, twinOrder: TWIN_ORDERS };
    for (const [key, value] of Object.entries(body)) {
      if (!(key in allowed)) return [400, { error: `unknown config key: ${key}`, config: { ...config } }];
      if (!allowed[key].includes(value)) {
        return [400, { error: `${key} must be one of ${allowed[key].join(", ")}`, config: { ...config } }];
      }
    }
    Object.assign(config, body);
    return [200, { ...config }];
  },
  "POST /__test/reset": async () => {
    history.length = 0;
    dashboardHistory.length = 0;
    Object.assign(config, startupConfig);
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
  const [status, answer] = await route(body, path);
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
