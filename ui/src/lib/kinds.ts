//! Notification kinds (the SmartSales `tipo` values) → icon, colour and name; anything else gets the bell.
import type { IconName } from "./icons";
import { translate, type Lang, type MessageKey } from "./i18n";

export interface KindStyle {
  icon: IconName;
  /** A CSS class suffix: the colours live in app.css so both colour schemes can tune them. */
  tone: "green" | "amber" | "blue" | "violet" | "teal" | "rose" | "grey";
  label: MessageKey;
}

const KINDS: Record<string, KindStyle> = {
  nueva_compra: { icon: "cart", tone: "green", label: "kind.nueva_compra" },
  stock_bajo: { icon: "box", tone: "amber", label: "kind.stock_bajo" },
  pago_procesado: { icon: "card", tone: "blue", label: "kind.pago_procesado" },
  nuevo_cliente: { icon: "userPlus", tone: "violet", label: "kind.nuevo_cliente" },
  pedido_enviado: { icon: "truck", tone: "teal", label: "kind.pedido_enviado" },
  devolucion_solicitada: { icon: "undo", tone: "rose", label: "kind.devolucion_solicitada" },
};

const GENERIC: KindStyle = { icon: "bell", tone: "grey", label: "kind.generic" };

export function kindStyle(kind: string): KindStyle {
  return Object.hasOwn(KINDS, kind) ? KINDS[kind]! : GENERIC;
}

/**
 * A kind's name for a person: ours when we know the kind ("Nueva compra"), else its code made readable
 * ("mensaje_sistema" → "Mensaje sistema"), since "Notificación" would name every unknown kind alike.
 */
export function kindName(lang: Lang, kind: string): string {
  if (Object.hasOwn(KINDS, kind)) return translate(lang, KINDS[kind]!.label);
  const words = kind.replace(/[_\s]+/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : kind;
}
