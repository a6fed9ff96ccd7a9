//! Realistic SmartSales notifications (the demo generator's kinds, Spanish texts), deterministic per index.
import type { Health, Notification } from "../../src/lib/types";

const NAMES = [
  "Ana Pérez",
  "Luis Fernández",
  "María González",
  "Carlos Rojas",
  "Lucía Vargas",
  "Jorge Méndez",
];
const PRODUCTS = [
  "Auriculares Bluetooth X200",
  "Silla ergonómica Pro",
  'Monitor 27" QHD',
  "Teclado mecánico K8",
];
const CITIES = ["Santa Cruz", "La Paz", "Cochabamba", "Sucre"];

type Maker = (i: number, order: number) => Pick<Notification, "kind" | "title" | "body" | "url" | "data">;

const pick = <T>(list: T[], i: number): T => list[i % list.length]!;
const money = (i: number) => `$${(120 + ((i * 37) % 900)).toFixed(2)}`;

const MAKERS: Maker[] = [
  (i, order) => ({
    kind: "nueva_compra",
    title: "Nueva Compra Realizada",
    body: `Cliente ${pick(NAMES, i)} realizó compra #${order} por ${money(i)}`,
    url: `/admin/orders/${order}/`,
    data: { cliente_id: 7 + (i % 40), compra_id: order, total: money(i).slice(1) },
  }),
  (i) => ({
    kind: "stock_bajo",
    title: "Stock bajo",
    body: `Quedan ${1 + (i % 5)} unidades de «${pick(PRODUCTS, i)}». Conviene reponer pronto.`,
    url: `/admin/products/${100 + (i % 60)}/`,
    data: { producto_id: 100 + (i % 60), stock: 1 + (i % 5) },
  }),
  (i, order) => ({
    kind: "pago_procesado",
    title: "Pago procesado",
    body: `Pago de ${money(i)} confirmado para la compra #${order - 3} con tarjeta.`,
    url: `/admin/payments/${order}/`,
    data: { compra_id: order - 3, metodo: "tarjeta" },
  }),
  (i) => ({
    kind: "nuevo_cliente",
    title: "Nuevo cliente registrado",
    body: `${pick(NAMES, i + 2)} creó una cuenta desde ${pick(CITIES, i)}.`,
    url: null,
    data: { cliente_id: 200 + i },
  }),
  (i, order) => ({
    kind: "pedido_enviado",
    title: "Pedido enviado",
    body: `El pedido #${order - 7} salió con Courier Express (guía ${88000 + (i % 999)}).`,
    url: `/admin/orders/${order - 7}/`,
    data: { compra_id: order - 7 },
  }),
  (i, order) => ({
    kind: "devolucion_solicitada",
    title: "Devolución solicitada",
    body: `${pick(NAMES, i + 3)} pidió devolver «${pick(PRODUCTS, i + 1)}» de la compra #${order - 12}.`,
    url: `/admin/returns/${order}/`,
    data: { compra_id: order - 12 },
  }),
  () => ({
    kind: "mensaje_sistema",
    title: "Mantenimiento programado",
    body: "El servidor se reiniciará el domingo a las 03:00. No hace falta hacer nada.",
    url: null,
    data: null,
  }),
];

/** Item `i` (0 = newest): 25 s old, then 7 minutes apart, with a few seconds of jitter. */
export function makeNotification(i: number, accounts: string[], now: number, unread: boolean): Notification {
  const order = 5000 - (i % 4000);
  const made = MAKERS[(i * 5 + Math.floor(i / 7)) % MAKERS.length]!(i, order);
  const age = 25_000 + i * 7 * 60_000 + ((i * 13) % 50) * 1000;
  return {
    account: accounts[i % accounts.length]!,
    id: String(100_000 - i),
    created_at: new Date(now - age).toISOString(),
    read: !unread,
    ...made,
  };
}

/** What `get_diagnostics` answers when the scenario does not say: the health facts as plain text, one block each. */
export function diagnosticsText(healths: Health[]): string {
  const lines = ["Aviso diagnostics"];
  for (const h of healths) {
    lines.push(
      "",
      `[${h.account}] ${h.server}`,
      `state: ${h.state} (${h.transport ?? "-"})${h.detail ? ` ${h.detail}` : ""}`,
      `connected since: ${h.connected_since ?? "-"}`,
      `rtt: ${h.rtt_ms ?? "-"} ms`,
      `reconnects today: ${h.reconnects_today} ${JSON.stringify(h.reconnect_reasons)}`,
      `queued marks: ${h.queued_marks}, unread: ${h.unread}, store: ${h.store_bytes} bytes`,
    );
  }
  return lines.join("\n");
}
