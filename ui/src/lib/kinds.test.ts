import { describe, expect, it } from "vitest";
import { ICONS } from "./icons";
import { compactJson } from "./json";
import { kindName, kindStyle } from "./kinds";

describe("kindStyle", () => {
  it("gives each SmartSales kind its own icon, and anything else the generic bell", () => {
    const kinds = [
      "nueva_compra",
      "stock_bajo",
      "pago_procesado",
      "nuevo_cliente",
      "pedido_enviado",
      "devolucion_solicitada",
    ];
    const icons = kinds.map((k) => kindStyle(k).icon);
    expect(icons[0]).toBe("cart");
    expect(new Set(icons).size).toBe(kinds.length);
    expect(icons).not.toContain("bell");
    expect(kindStyle("mensaje_sistema")).toMatchObject({ icon: "bell", label: "kind.generic" });
    expect(kindStyle("toString").icon).toBe("bell");
    for (const icon of icons) expect(ICONS[icon].length).toBeGreaterThan(0);
  });

  it("names a kind in the panel's language, and an unknown one by its code made readable", () => {
    expect(kindName("es", "stock_bajo")).toBe("Stock bajo");
    expect(kindName("en", "stock_bajo")).toBe("Low stock");
    expect(kindName("es", "mensaje_sistema")).toBe("Mensaje sistema");
    expect(kindName("en", "__x__")).toBe("X");
    expect(kindName("en", "toString")).toBe("ToString");
  });

  it("draws every icon with path data only", () => {
    for (const paths of Object.values(ICONS)) for (const d of paths) expect(d).toMatch(/^M[-\d.]/);
  });
});

describe("compactJson", () => {
  it("renders values as one compact line and cuts long ones", () => {
    expect(compactJson({ total: 12.5, items: [1, 2] })).toBe('{"total":12.5,"items":[1,2]}');
    expect(compactJson("texto")).toBe("texto");
    expect(compactJson(null)).toBe("null");
    expect(compactJson(undefined)).toBe("");
    const long = compactJson({ text: "x".repeat(500) }, 40);
    expect(long).toHaveLength(40);
    expect(long.endsWith("…")).toBe(true);
  });

  it("survives values JSON cannot write", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(compactJson(cyclic)).toBe("[object Object]");
  });
});
