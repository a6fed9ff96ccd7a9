// Smoke client for the seed-003 Socket.IO backend: node smoke.mjs http://127.0.0.1:PORT
// Prints one "PASS name" / "FAIL name: detail" line per check; exits 1 when any failed.
import { io } from "socket.io-client";

const base = (process.argv[2] ?? "http://127.0.0.1:4000").replace(/\/$/, "");
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

main()
  .catch((err) => check("003 smoke ran to the end", false, String(err?.stack ?? err)))
  .finally(() => process.exit(failures ? 1 : 0));
