//! Benchmark 7, store scale: the panel's three queries (unread count, mark all read, first
//! page) on a store of N notifications, against the same queries on a store of 1,000
//! (the baseline: how the cost grows with the store).

use std::time::Instant;

use anyhow::Result;
use aviso_engine::store::{ListQuery, Store};
use aviso_engine::Notification;

use crate::measure::{median, ms};
use crate::report::Row;

const BENCH: &str = "7 store scale";
const TARGET_MS: f64 = 50.0;
const REPEATS: usize = 5;

fn sample(i: usize) -> Notification {
    Notification {
        account: "tienda".into(),
        id: i.to_string(),
        kind: "nueva_compra".into(),
        title: "Nueva Compra Realizada".into(),
        body: format!("Cliente Ana Pérez realizó compra #{i} por $350.00"),
        url: Some(format!("/admin/orders/{i}/")),
        created_at: format!("2025-11-17T10:{:02}:{:02}.{:06}Z", (i / 60) % 60, i % 60, i),
        read: false,
        data: serde_json::json!({"compra_id": i, "total": "350.00"}),
    }
}

struct Timings {
    ingest_per_s: f64,
    unread: f64,
    first_page: f64,
    first_page_unread: f64,
    mark_all: f64,
}

fn time_ms(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    ms(t.elapsed())
}

fn measure(n: usize) -> Result<Timings> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("aviso.db"))?;
    let t = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let batch: Vec<_> = chunk.iter().map(|&i| sample(i)).collect();
        store.ingest(&batch)?;
    }
    let ingest_per_s = n as f64 / t.elapsed().as_secs_f64();
    let page = |unread_only| ListQuery {
        account: None,
        unread_only,
        before: None,
        limit: 50,
    };
    let mut unread = Vec::new();
    let mut first = Vec::new();
    let mut first_unread = Vec::new();
    for _ in 0..REPEATS {
        let mut count = 0;
        unread.push(time_ms(|| count = store.unread_count(None).unwrap_or(0)));
        anyhow::ensure!(count == n as u64, "unread count {count}, expected {n}");
        first.push(time_ms(|| {
            let _ = store.list(&page(false));
        }));
        first_unread.push(time_ms(|| {
            let _ = store.list(&page(true));
        }));
    }
    // What the panel's "mark all read" does: locally at once, queued for the server.
    let mut result = Ok(Vec::new());
    let mark_all = time_ms(|| result = store.mark_all_read("tienda", true));
    anyhow::ensure!(result?.len() == n, "mark all read missed some");
    Ok(Timings {
        ingest_per_s,
        unread: median(&unread),
        first_page: median(&first),
        first_page_unread: median(&first_unread),
        mark_all,
    })
}

pub fn run(n: usize) -> Result<Vec<Row>> {
    let base_n = 1_000.min(n);
    let base = measure(base_n)?;
    let big = measure(n)?;
    let label = |what: &str| format!("{what}, {n} stored (ms)");
    let row = |metric: &str, a: f64, b: f64| {
        Row::new(BENCH, &label(metric), format!("{a:.2}"))
            .baseline(
                format!("{b:.2} at {base_n}"),
                format!("×{:.1}", a / b.max(1e-6)),
            )
            .target("≤ 50 ms", a <= TARGET_MS)
    };
    Ok(vec![
        row("unread count", big.unread, base.unread),
        row("mark all read", big.mark_all, base.mark_all),
        row("first page (50, all)", big.first_page, base.first_page),
        row(
            "first page (50, unread)",
            big.first_page_unread,
            base.first_page_unread,
        ),
        Row::new(
            BENCH,
            "store-only ingest, batches of 1000 (notif/s)",
            format!("{:.0}", big.ingest_per_s),
        )
        .baseline(
            format!("{:.0} at {base_n}", base.ingest_per_s),
            format!("×{:.2}", big.ingest_per_s / base.ingest_per_s.max(1e-6)),
        ),
    ])
}
