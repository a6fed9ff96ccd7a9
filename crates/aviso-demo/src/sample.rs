//! Realistic Spanish sample events shaped like the seed's `send_*_admin` helpers.

use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Value};

/// The `tipo` values the generator produces, in the order the contract lists them.
pub const EVENT_KINDS: [&str; 6] = [
    "nueva_compra",
    "stock_bajo",
    "pago_procesado",
    "nuevo_cliente",
    "pedido_enviado",
    "devolucion_solicitada",
];

const CLIENTES: [(&str, &str); 10] = [
    ("Ana Pérez", "ana.perez"),
    ("Carlos Gómez", "carlos.gomez"),
    ("María Fernández", "maria.fernandez"),
    ("José Rodríguez", "jose.rodriguez"),
    ("Lucía Martínez", "lucia.martinez"),
    ("Diego Sánchez", "diego.sanchez"),
    ("Sofía Ramírez", "sofia.ramirez"),
    ("Javier Torres", "javier.torres"),
    ("Valentina Flores", "valentina.flores"),
    ("Andrés Castillo", "andres.castillo"),
];

const PRODUCTOS: [&str; 8] = [
    "Laptop Lenovo IdeaPad 3",
    "Mouse inalámbrico Logitech M185",
    "Refrigerador Samsung 300 L",
    "Televisor LG 55\" 4K",
    "Licuadora Oster 600 W",
    "Audífonos Sony WH-CH520",
    "Celular Xiaomi Redmi Note 13",
    "Microondas Panasonic 20 L",
];

const METODOS_PAGO: [&str; 4] = ["tarjeta de crédito", "tarjeta de débito", "PayPal", "QR"];
const TRANSPORTISTAS: [&str; 3] = ["DHL Express", "Correos", "Envíos Rápidos"];
const MOTIVOS: [&str; 4] = [
    "Producto defectuoso",
    "No es lo que pedí",
    "Llegó dañado",
    "Cambio de talla o modelo",
];

/// One event before it is stored: what `send_admin_notification` receives.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub tipo: String,
    pub titulo: String,
    pub mensaje: String,
    pub url: String,
    pub datos: Value,
}

/// A sample of `kind`, or of a random kind when `kind` is not one of [`EVENT_KINDS`].
pub(crate) fn event(kind: Option<&str>) -> Event {
    let mut rng = rand::rng();
    let kind = match kind {
        Some(k) if EVENT_KINDS.contains(&k) => k,
        _ => EVENT_KINDS
            .choose(&mut rng)
            .copied()
            .unwrap_or("nueva_compra"),
    };
    let (cliente, usuario) = *CLIENTES.choose(&mut rng).unwrap_or(&CLIENTES[0]);
    let producto = *PRODUCTOS.choose(&mut rng).unwrap_or(&PRODUCTOS[0]);
    let cliente_id: u32 = rng.random_range(2..400);
    let compra_id: u32 = rng.random_range(1000..10000);
    let total = format!(
        "{}.{:02}",
        rng.random_range(5..2500),
        rng.random_range(0..100)
    );
    let (titulo, mensaje, url, datos) = match kind {
        "nueva_compra" => (
            "Nueva Compra Realizada",
            format!("Cliente {cliente} realizó compra #{compra_id} por ${total}"),
            format!("/admin/orders/{compra_id}/"),
            json!({"cliente_id": cliente_id, "compra_id": compra_id, "total": total}),
        ),
        "stock_bajo" => {
            let producto_id: u32 = rng.random_range(1..300);
            let stock: u32 = rng.random_range(0..5);
            (
                "Stock Bajo",
                format!("El producto {producto} tiene solo {stock} unidades en stock"),
                format!("/admin/products/{producto_id}/"),
                json!({"producto_id": producto_id, "producto": producto, "stock": stock,
                       "stock_minimo": 5}),
            )
        }
        "pago_procesado" => {
            let pago_id: u32 = rng.random_range(500..5000);
            let metodo = *METODOS_PAGO.choose(&mut rng).unwrap_or(&METODOS_PAGO[0]);
            (
                "Pago Procesado",
                format!("Se procesó el pago de ${total} de la compra #{compra_id} con {metodo}"),
                format!("/admin/payments/{pago_id}/"),
                json!({"pago_id": pago_id, "compra_id": compra_id, "monto": total,
                       "metodo": metodo}),
            )
        }
        "nuevo_cliente" => (
            "Nuevo Cliente Registrado",
            format!("{cliente} se registró como cliente ({usuario}@correo.com)"),
            format!("/admin/customers/{cliente_id}/"),
            json!({"cliente_id": cliente_id, "email": format!("{usuario}@correo.com")}),
        ),
        "pedido_enviado" => {
            let transportista = *TRANSPORTISTAS
                .choose(&mut rng)
                .unwrap_or(&TRANSPORTISTAS[0]);
            let guia = format!("GU{}", rng.random_range(100_000_000..999_999_999u32));
            (
                "Pedido Enviado",
                format!("El pedido #{compra_id} de {cliente} fue enviado con {transportista}"),
                format!("/admin/orders/{compra_id}/"),
                json!({"compra_id": compra_id, "cliente_id": cliente_id,
                       "transportista": transportista, "guia": guia}),
            )
        }
        _ => {
            let devolucion_id: u32 = rng.random_range(10..900);
            let motivo = *MOTIVOS.choose(&mut rng).unwrap_or(&MOTIVOS[0]);
            (
                "Devolución Solicitada",
                format!("{cliente} solicitó la devolución de {producto} (compra #{compra_id})"),
                format!("/admin/returns/{devolucion_id}/"),
                json!({"devolucion_id": devolucion_id, "compra_id": compra_id,
                       "cliente_id": cliente_id, "motivo": motivo}),
            )
        }
    };
    Event {
        tipo: kind.to_owned(),
        titulo: titulo.to_owned(),
        mensaje,
        url,
        datos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_spanish_text_and_an_admin_url() {
        for kind in EVENT_KINDS {
            let e = event(Some(kind));
            assert_eq!(e.tipo, kind);
            assert!(
                e.url.starts_with("/admin/") && e.url.ends_with('/'),
                "{}",
                e.url
            );
            assert!(!e.titulo.is_empty() && e.datos.is_object());
        }
        let compra = event(Some("nueva_compra"));
        assert!(compra.mensaje.starts_with("Cliente "));
        assert!(compra.datos["total"].is_string());
    }
}
