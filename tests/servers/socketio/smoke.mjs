// Smoke client for the seed-003 Socket.IO backend: node smoke.mjs http://127.0.0.1:PORT [bare|twins]
//   bare  (default): a server started without --reading; also switches it to twins at run time.
//   twins: a server started with --reading twins --twin-order specific-first.
// Prints one "PASS name" / "FAIL name: detail" line per check; exits 1 when any failed.
import { io } from "socket.io-client";

const base = (process.argv[2] ?? "http://127.0.0.1:4000").replace(/\/$/, "");
const mode = process.argv[3] ?? "bare";
let failures = 0;
const check = (name, ok, detail = "") => {
  if (!ok) failures++;
  console.log(ok ? `PASS ${name}` : `FAIL ${name}: ${JSON.stringify(detail)}`);
};

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function client(opts) {
  const socket = io(`${base}/ws`, { transports: ["websocket"], reconnection: false, ...opts });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

// A client that records every event it gets, from before it connects (the twins reading greets at
// once): resolves with {socket, events: [[event, payload], …]}.
function recordingClient(opts) {
  const socket = io(`${base}/ws`, { transports: ["websocket"], reconnection: false, ...opts });
  const events = [];
  socket.onAny((event, payload) => events.push([event, payload]));
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve({ socket, events }));
    socket.once("connect_error", reject);
  });
}

// Waits until `events` holds `n` entries (or `ms` passed); returns a copy.
async function settle(events, n, ms = 2000) {
  const until = Date.now() + ms;
  while (events.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100)); // and nothing more straggles in
  return events.splice(0, events.length);
}

const names = (events) => events.map(([event]) => event);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// Resolves with the payload of `event` on `socket`, or with the string "timeout".
function next(socket, event, ms = 2000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      resolve("timeout");
    }, ms);
    const on = (payload) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, on);
  });
}

async function main() {
  const a = await client({ auth: { userId: "u1", role: "proveedor" } });
  const b = await client({ query: { userId: "u2", role: "cliente" } });
  const c = await client({ auth: { userId: "u3", role: "proveedor" } });
  const all = [a, b, c];

  const health = await api("GET", "/api/health");
  check("003 health", health.status === 200 && health.body.status === "ok" && health.body.connections === 3
    && typeof health.body.uptime === "number", health);

  const event = { type: "reserva:creada", data: { reserva: { id: 1, estado: "confirmada" } }, timestamp: "2024-11-15T14:30:00Z" };
  let waits = all.map((s) => next(s, "reserva:creada"));
  const emitted = await api("POST", "/api/dashboard/emit-event", event);
  const got = await Promise.all(waits);
  check("003 emit-event answers 202", emitted.status === 202, emitted);
  check("003 emit-event reaches every client as event `type` with the body",
    got.every((g) => JSON.stringify(g) === JSON.stringify(event)), got);

  waits = [a, b, c].map((s) => next(s, "nueva_solicitud", 500));
  const role = await api("POST", "/api/dashboard/notify-role", { role: "proveedor", event: "nueva_solicitud", payload: { servicioId: 1, clienteId: 123 } });
  const [ra, rb, rc] = await Promise.all(waits);
  check("003 notify-role answers 202", role.status === 202, role);
  check("003 notify-role reaches role:proveedor only (auth)", ra.servicioId === 1 && rc.servicioId === 1 && rb === "timeout", [ra, rb, rc]);

  waits = [a, b, c].map((s) => next(s, "reserva_confirmada", 500));
  const user = await api("POST", "/api/dashboard/notify-user", { userId: "u2", event: "reserva_confirmada", payload: { reservaId: 1 } });
  const [ua, ub, uc] = await Promise.all(waits);
  check("003 notify-user reaches user:u2 only (query)", user.status === 202 && ub.reservaId === 1 && ua === "timeout" && uc === "timeout", [user, ua, ub, uc]);

  waits = all.map((s) => next(s, "dashboard:update"));
  const dash = await api("POST", "/api/dashboard/update-dashboard", { services: { total: 50, activos: 45 } });
  const dashes = await Promise.all(waits);
  check("003 update-dashboard -> dashboard:update for all", dash.status === 202 && dashes.every((d) => d.services?.total === 50), dashes);

  const bad = await api("POST", "/api/dashboard/emit-event", { data: {} });
  check("003 emit-event without type -> 400", bad.status === 400, bad);

  const stats = await api("GET", "/__test/stats");
  check("003 stats by user and role", stats.body.connections === 3 && stats.body.byRole.proveedor === 2
    && stats.body.byUser.u2 === 1, stats.body);
  const history = await api("GET", "/__test/history");
  check("003 history keeps the emitted events", history.body.events.length === 4
    && history.body.events[0].payload.type === "reserva:creada", history.body);

  waits = all.map((s) => next(s, "disconnect"));
  const dropped = await api("POST", "/__test/drop", {});
  const reasons = await Promise.all(waits);
  check("003 drop disconnects every socket", dropped.body.dropped === 3 && reasons.every((r) => r === "io server disconnect"), [dropped, reasons]);
  for (const s of all) s.close();
}

// The twins reading, on a server whose twin order is `order` (checks prefixed with `label`).
async function twinsChecks(label, order) {
  const genericFirst = order === "generic-first";
  const pair = (generic, specific) => (genericFirst ? [generic, specific] : [specific, generic]);
  const a = await recordingClient({ auth: { userId: "t1", role: "proveedor" } });
  const b = await recordingClient({ query: { userId: "t2", role: "cliente" } });
  const [ga] = await settle(a.events, 1);
  const [gb] = await settle(b.events, 1);
  check(`${label} greeting: connected {message, socketId, timestamp} to each socket`,
    ga?.[0] === "connected" && ga[1].message === "Conectado al servidor WebSocket" && ga[1].socketId === a.socket.id
    && !Number.isNaN(Date.parse(ga[1].timestamp)) && Object.keys(ga[1]).length === 3
    && gb?.[0] === "connected" && gb[1].socketId === b.socket.id, [ga, gb, a.socket.id, b.socket.id]);

  const event = { type: "reserva:creada", data: { reserva: { id: 7, estado: "confirmada" } }, timestamp: "2024-11-15T14:30:00Z" };
  const emitted = await api("POST", "/api/dashboard/emit-event", event);
  const ea = await settle(a.events, 2);
  const eb = await settle(b.events, 2);
  const expected = pair(["business_event", event], ["reserva:creada", event.data]);
  check(`${label} emit-event answers 202`, emitted.status === 202, emitted);
  check(`${label} emit-event -> business_event (envelope) and type (bare data), ${order}`,
    same(ea, expected) && same(eb, expected), [ea, eb]);

  const noTs = await api("POST", "/api/dashboard/emit-event", { type: "pago:procesado", data: { pagoId: 3 } });
  const pa = await settle(a.events, 2);
  await settle(b.events, 2);
  const generated = pa.find(([e]) => e === "business_event")?.[1];
  check(`${label} emit-event without timestamp: the envelope gets an ISO one`,
    noTs.status === 202 && generated?.type === "pago:procesado" && !Number.isNaN(Date.parse(generated.timestamp))
    && same(pa.find(([e]) => e === "pago:procesado")?.[1], { pagoId: 3 }), pa);

  const role = await api("POST", "/api/dashboard/notify-role", { role: "proveedor", event: "nueva_solicitud", payload: { servicioId: 1 } });
  const ra = await settle(a.events, 2);
  const rb = await settle(b.events, 1, 300);
  const roleEnvelope = ra.find(([e]) => e === "notification")?.[1];
  check(`${label} notify-role -> event (payload) and notification (envelope) to the room, ${order}`,
    role.status === 202 && same(names(ra), pair("notification", "nueva_solicitud"))
    && same(ra.find(([e]) => e === "nueva_solicitud")[1], { servicioId: 1 })
    && roleEnvelope.type === "nueva_solicitud" && same(roleEnvelope.data, { servicioId: 1 })
    && !Number.isNaN(Date.parse(roleEnvelope.timestamp)) && Object.keys(roleEnvelope).length === 3
    && rb.length === 0, [ra, rb]);

  const user = await api("POST", "/api/dashboard/notify-user", { userId: "t2", event: "reserva_confirmada", payload: { reservaId: 1 } });
  const ub = await settle(b.events, 2);
  const ua = await settle(a.events, 1, 300);
  const userEnvelope = ub.find(([e]) => e === "notification")?.[1];
  check(`${label} notify-user -> event and notification to user:t2 only, ${order}`,
    user.status === 202 && same(names(ub), pair("notification", "reserva_confirmada"))
    && userEnvelope?.type === "reserva_confirmada" && same(userEnvelope.data, { reservaId: 1 }) && ua.length === 0, [ub, ua]);

  const dash = await api("POST", "/api/dashboard/update-dashboard", { services: { total: 1 } });
  const da = await settle(a.events, 1);
  await settle(b.events, 1);
  check(`${label} update-dashboard unchanged: one dashboard:update`,
    dash.status === 202 && same(da, [["dashboard:update", { services: { total: 1 } }]]), da);

  const history = await api("GET", "/api/dashboard/history");
  check(`${label} GET /api/dashboard/history: envelopes oldest first, same timestamps, rooms, no update-dashboard`,
    history.status === 200 && same(history.body, [
      event,
      generated,
      { ...roleEnvelope, room: "role:proveedor" },
      { ...userEnvelope, room: "user:t2" },
    ]), history);
  const testHistory = await api("GET", "/__test/history");
  const last = testHistory.body.events?.at(-2);
  check(`${label} /__test/history still works, with what was emitted in order`,
    testHistory.status === 200 && testHistory.body.events.length === 5 && last.kind === "notify-user"
    && same(last.emitted.map((x) => x.event), pair("notification", "reserva_confirmada")), testHistory.body);
  const stats = await api("GET", "/__test/stats");
  check(`${label} /__test/stats still works`, stats.body.emitted?.emitEvent === 2 && stats.body.emitted.notifyUser === 1
    && stats.body.history === 5, stats.body);
  for (const c of [a, b]) c.socket.close();
}

async function bareReading() {
  const config = await api("GET", "/__test/config");
  check("003 bare: GET /__test/config", same(config.body, { reading: "bare", twinOrder: "generic-first" }), config);
  await api("POST", "/__test/reset", {});
  const a = await recordingClient({ auth: { userId: "b1", role: "proveedor" } });
  const event = { type: "reserva:creada", data: { reserva: { id: 9 } }, timestamp: "2024-11-15T14:30:00Z" };
  await api("POST", "/api/dashboard/emit-event", event);
  await api("POST", "/api/dashboard/notify-role", { role: "proveedor", event: "nueva_solicitud", payload: { servicioId: 2 } });
  const got = await settle(a.events, 2);
  check("003 bare: no greeting, one event per call, no business_event/notification",
    same(got, [["reserva:creada", event], ["nueva_solicitud", { servicioId: 2 }]]), got);
  const history = await api("GET", "/api/dashboard/history");
  check("003 bare: GET /api/dashboard/history -> 404 like any unknown path",
    history.status === 404 && same(history.body, { error: "not found", path: "/api/dashboard/history" }), history);
  const testHistory = await api("GET", "/__test/history");
  check("003 bare: /__test/history entries have no `emitted`",
    testHistory.body.events.length === 2 && testHistory.body.events.every((e) => !("emitted" in e)), testHistory.body);
  a.socket.close();

  const bad = await api("POST", "/__test/config", { twinOrder: "sideways" });
  const unknown = await api("POST", "/__test/config", { reading: "twins", order: "x" });
  const after = await api("GET", "/__test/config");
  check("003 POST /__test/config: bad value or unknown key -> 400, nothing changed",
    bad.status === 400 && unknown.status === 400 && same(after.body, { reading: "bare", twinOrder: "generic-first" }),
    [bad, unknown, after]);
  await api("POST", "/__test/reset", {});
  const switched = await api("POST", "/__test/config", { reading: "twins" });
  check("003 POST /__test/config {reading: twins} -> the config",
    switched.status === 200 && same(switched.body, { reading: "twins", twinOrder: "generic-first" }), switched);
  await twinsChecks("003 bare->twins at run time:", "generic-first");
  const reset = await api("POST", "/__test/reset", {});
  const restored = await api("GET", "/__test/config");
  const gone = await api("GET", "/api/dashboard/history");
  check("003 /__test/reset restores the startup config (bare): history 404 again",
    reset.status === 200 && same(restored.body, { reading: "bare", twinOrder: "generic-first" }) && gone.status === 404,
    [restored, gone]);
}

async function twinsReading() {
  await api("POST", "/__test/reset", {});
  const config = await api("GET", "/__test/config");
  check("003 twins: --reading twins --twin-order specific-first in GET /__test/config",
    same(config.body, { reading: "twins", twinOrder: "specific-first" }), config);
  const empty = await api("GET", "/api/dashboard/history");
  check("003 twins: history starts empty", empty.status === 200 && same(empty.body, []), empty);
  await twinsChecks("003 twins:", "specific-first");

  const flipped = await api("POST", "/__test/config", { twinOrder: "generic-first" });
  const a = await recordingClient({ auth: { userId: "t1" } });
  await settle(a.events, 1);
  await api("POST", "/api/dashboard/emit-event", { type: "servicio:creado", data: { id: 1 }, timestamp: "2024-11-15T00:00:00Z" });
  const got = await settle(a.events, 2);
  check("003 twins: twinOrder switched at run time without a restart",
    flipped.status === 200 && same(names(got), ["business_event", "servicio:creado"]), [flipped, got]);

  await api("POST", "/__test/config", { reading: "bare" });
  const c = await recordingClient({ auth: { userId: "t3" } });
  await api("POST", "/api/dashboard/emit-event", { type: "cliente:nuevo", data: { id: 2 }, timestamp: "2024-11-15T00:00:00Z" });
  const bare = await settle(c.events, 1);
  const history = await api("GET", "/api/dashboard/history");
  check("003 twins->bare at run time: no greeting, one event, history 404",
    same(bare, [["cliente:nuevo", { type: "cliente:nuevo", data: { id: 2 }, timestamp: "2024-11-15T00:00:00Z" }]])
    && history.status === 404, [bare, history]);

  await api("POST", "/__test/reset", {});
  const restored = await api("GET", "/__test/config");
  const cleared = await api("GET", "/api/dashboard/history");
  check("003 twins: /__test/reset restores --reading/--twin-order and clears the history",
    same(restored.body, { reading: "twins", twinOrder: "specific-first" }) && same(cleared.body, []), [restored, cleared]);
  for (const s of [a, c]) s.socket.close();
}

(mode === "twins" ? twinsReading() : main().then(bareReading))
  .catch((err) => check("003 smoke ran to the end", false, String(err?.stack ?? err)))
  .finally(() => process.exit(failures ? 1 : 0));
