//! The policy's fold, with time passed in: a store's day, one situation at a time.

use super::*;
use crate::ErrorCode;
use serde_json::json;

const TZ: &str = "America/La_Paz";

fn t(civil: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = civil.parse().unwrap();
    dt.to_zoned(TimeZone::get(TZ).unwrap()).unwrap().timestamp()
}

fn ms(base: Timestamp, millis: i64) -> Timestamp {
    base + SignedDuration::from_millis(millis)
}

fn sale(id: u32, total: &str) -> Notification {
    Notification {
        account: "tienda".into(),
        id: id.to_string(),
        kind: "nueva_compra".into(),
        title: format!("Compra #{id}"),
        body: format!("Total {total}"),
        url: Some(format!("/admin/orders/{id}/")),
        created_at: "2026-12-07T12:00:00Z".into(),
        read: false,
        data: json!({ "compra_id": id, "total": total }),
    }
}

fn of_kind(id: u32, kind: &str) -> Notification {
    Notification {
        kind: kind.into(),
        title: format!("{kind} {id}"),
        data: json!({}),
        ..sale(id, "0")
    }
}

fn config(src: &str) -> PolicyConfig {
    let mut c: PolicyConfig = toml::from_str(src).unwrap();
    if c.time_zone.is_empty() {
        c.time_zone = TZ.into();
    }
    c
}

fn policy_at(src: &str, lang: Lang, now: Timestamp) -> Policy {
    let profile = Profile::load("smartsales").unwrap();
    let account = Account::from_profile("tienda", &profile, lang);
    let (p, errors) = Policy::new(&config(src), vec![account], lang, now);
    assert!(errors.is_empty(), "{errors:?}");
    p
}

fn policy(src: &str) -> Policy {
    policy_at(src, Lang::Es, t("2026-12-07T08:00:00"))
}

fn toasts(out: &[Decision]) -> Vec<&Toast> {
    out.iter()
        .filter_map(|d| match d {
            Decision::Toast(t) => Some(t),
            _ => None,
        })
        .collect()
}

fn titles(out: &[Decision]) -> Vec<String> {
    toasts(out).iter().map(|t| t.title.clone()).collect()
}

const QUIET: &str = r#"
quiet_hours = [{ days = ["todos"], from = "22:00", to = "07:00" }]
"#;

#[test]
fn quiet_hours_hold_toasts_and_end_with_one_digest_per_store() {
    let mut p = policy(QUIET);
    let night = t("2026-12-07T23:10:00");
    let mut out = p.notification(&sale(1, "150.00"), night, false);
    out.extend(p.notification(&sale(2, "90.50"), ms(night, 10), false));
    out.extend(p.notification(&of_kind(3, "devolucion_solicitada"), ms(night, 20), false));
    out.extend(p.tick(ms(night, 5000)));
    assert!(toasts(&out).is_empty(), "{out:?}");
    assert_eq!(
        out[0],
        Decision::Held {
            account: "tienda".into(),
            id: "1".into(),
            reason: Reason::QuietHours
        }
    );
    assert_eq!(out.len(), 3);
    assert_eq!(p.held_by("tienda", night), Some(Reason::QuietHours));
    // Still quiet a second before 07:00 (the next day: across midnight).
    assert!(p.tick(t("2026-12-08T06:59:59")).is_empty());
    let morning = p.tick(t("2026-12-08T07:00:00"));
    let Decision::Digest { reason, stores } = &morning[0] else {
        panic!("{morning:?}")
    };
    assert_eq!(*reason, Reason::QuietHours);
    assert_eq!(stores[0].kinds[0].total.as_deref(), Some("240.50"));
    assert_eq!(stores[0].ids, ["1", "2", "3"]);
    let digest = toasts(&morning);
    assert_eq!(digest.len(), 1);
    assert_eq!(digest[0].kind, ToastKind::Digest);
    assert_eq!(digest[0].title, "Mientras no estabas");
    assert_eq!(digest[0].body, "2 compras · $240,50 · 1 devolución");
    assert_eq!(digest[0].items.len(), 3);
    // Once.
    assert!(p.tick(t("2026-12-08T07:00:01")).is_empty());
}

#[test]
fn an_urgent_sale_breaks_through_quiet_hours_pause_and_do_not_disturb() {
    let mut p = policy(QUIET);
    let night = t("2026-12-07T23:10:00");
    // The smartsales preset: a sale of 1000 or more is urgent; the amount is a string.
    // Urgent, it is still gathered (0.4 s), so a flurry of them can be one summary.
    assert!(p.notification(&sale(1, "1500.00"), night, false).is_empty());
    let out = p.tick(ms(night, 400));
    let shown = toasts(&out);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].urgency, Urgency::Critical);
    assert_eq!(shown[0].title, "Compra #1");
    assert_eq!(shown[0].url.as_deref(), Some("/admin/orders/1/"));
    let small = p.notification(&sale(2, "999.99"), night, false);
    assert!(matches!(small[0], Decision::Held { .. }));
    let day = t("2026-12-08T12:00:00");
    p.pause(t("2026-12-08T13:00:00"));
    let _ = p.notification(&sale(3, "1000"), day, false);
    assert_eq!(toasts(&p.tick(ms(day, 400)))[0].urgency, Urgency::Critical);
    let _ = p.set_do_not_disturb(true, ms(day, 1000));
    let _ = p.notification(&sale(4, "5000"), ms(day, 1000), false);
    assert_eq!(toasts(&p.tick(ms(day, 1400))).len(), 1);
}

#[test]
fn a_pause_holds_until_it_ends_or_is_lifted_then_gives_a_digest() {
    let mut p = policy("");
    let noon = t("2026-12-08T12:00:00");
    p.pause(t("2026-12-08T13:00:00"));
    let out = p.notification(&sale(1, "10"), noon, false);
    assert_eq!(
        out,
        [Decision::Held {
            account: "tienda".into(),
            id: "1".into(),
            reason: Reason::Pause
        }]
    );
    assert!(toasts(&p.tick(t("2026-12-08T12:59:59"))).is_empty());
    let end = p.tick(t("2026-12-08T13:00:00"));
    assert_eq!(titles(&end), ["Mientras no estabas"]);
    assert!(matches!(
        end[0],
        Decision::Digest {
            reason: Reason::Pause,
            ..
        }
    ));
    // Lifted by hand.
    p.pause(t("2026-12-08T18:00:00"));
    let _ = p.notification(&of_kind(2, "stock_bajo"), t("2026-12-08T14:00:00"), false);
    let lifted = p.resume(t("2026-12-08T14:05:00"));
    assert_eq!(toasts(&lifted)[0].body, "1 aviso de stock bajo");
    // The OS's do-not-disturb holds the same way.
    let _ = p.set_do_not_disturb(true, t("2026-12-08T15:00:00"));
    let held = p.notification(&sale(3, "10"), t("2026-12-08T15:00:00"), false);
    assert!(matches!(
        held[0],
        Decision::Held {
            reason: Reason::DoNotDisturb,
            ..
        }
    ));
    let off = p.set_do_not_disturb(false, t("2026-12-08T15:30:00"));
    assert_eq!(toasts(&off)[0].body, "1 compra · $10,00");
}

#[test]
fn quiet_hours_follow_the_accounts_own_time_zone() {
    let src = r#"
quiet_hours = [{ from = "22:00", to = "07:00" }]
[time_zones]
tienda = "Europe/Madrid"
"#;
    let mut p = policy(src);
    // 18:30 in La Paz is 23:30 in Madrid: quiet for this store.
    let out = p.notification(&sale(1, "10"), t("2026-12-08T18:30:00"), false);
    assert!(matches!(out[0], Decision::Held { .. }), "{out:?}");
}

#[test]
fn muted_kinds_are_never_toasted_and_the_first_matching_rule_wins() {
    let src = r#"
[[rules]]
name = "sin devoluciones"
kind = "devolucion_*"
action = "mute"
[[rules]]
name = "compras tranquilas"
kind = "nueva_compra"
when = "datos.total < 5000"
action = ["quiet", "no_badge"]
"#;
    let mut p = policy(src);
    let noon = t("2026-12-08T12:00:00");
    let out = p.notification(&of_kind(1, "devolucion_solicitada"), noon, false);
    assert_eq!(
        out,
        [Decision::Muted {
            account: "tienda".into(),
            id: "1".into(),
            rule: Some("sin devoluciones".into())
        }]
    );
    assert!(p.tick(ms(noon, 1000)).is_empty());
    // The user's rule comes before the preset's "venta grande": 1500 is quiet here.
    let quiet = sale(2, "1500.00");
    assert!(p.effect(&quiet).no_badge);
    let _ = p.notification(&quiet, noon, false);
    let shown = p.tick(ms(noon, 1000));
    assert_eq!(toasts(&shown)[0].urgency, Urgency::Low);
    assert!(toasts(&shown)[0].silent);
    // Above the user's limit the preset's rule applies.
    let _ = p.notification(&sale(3, "5000"), ms(noon, 2000), false);
    let big = p.tick(ms(noon, 2500));
    assert_eq!(toasts(&big)[0].urgency, Urgency::Critical);
}

#[test]
fn a_flurry_of_urgent_sales_is_one_critical_summary() {
    // In quiet hours: two big purchases a second apart are each a toast of their own
    // (urgent: critical, through the quiet hours); then a flash sale of them is one live
    // summary that stays critical, never thirty toasts. The small sales among them wait for
    // the digest.
    let mut p = policy(QUIET);
    let night = t("2026-12-07T23:10:00");
    let mut out = Vec::new();
    for (i, at) in [(100u32, 0i64), (101, 1000)] {
        out.extend(p.notification(&sale(i, "2000.00"), ms(night, at), false));
        out.extend(p.tick(ms(night, at + 500)));
    }
    let singles = toasts(&out);
    assert_eq!(
        singles.iter().map(|t| t.title.as_str()).collect::<Vec<_>>(),
        ["Compra #100", "Compra #101"]
    );
    assert!(singles.iter().all(|t| t.urgency == Urgency::Critical));
    let flash = ms(night, 5000);
    let mut out = Vec::new();
    for i in 0..40u32 {
        let total = if i % 4 == 3 { "50.00" } else { "1500.00" };
        let at = ms(flash, i64::from(i) * 50);
        out.extend(p.notification(&sale(i, total), at, false));
        out.extend(p.tick(ms(at, 10)));
    }
    out.extend(p.tick(ms(flash, 9000)));
    let shown = toasts(&out);
    assert!(
        shown.iter().all(|t| t.kind == ToastKind::Summary),
        "{shown:#?}"
    );
    let slots: std::collections::BTreeSet<u64> = shown.iter().map(|t| t.slot).collect();
    assert_eq!(slots.len(), 1, "one summary, updated in place: {shown:#?}");
    assert!(shown.iter().all(|t| t.urgency == Urgency::Critical));
    assert!(
        !shown[0].replaces && !shown[0].silent,
        "the first one sounds"
    );
    assert!(shown[1..].iter().all(|t| t.replaces && t.silent));
    assert_eq!(shown.last().unwrap().title, "30 notificaciones nuevas");
    let held = out
        .iter()
        .filter(|d| matches!(d, Decision::Held { .. }))
        .count();
    assert_eq!(held, 10);
}

#[test]
fn a_burst_is_one_toast_updated_in_place_while_it_lasts() {
    let mut p = policy("");
    let t0 = t("2026-12-08T12:00:00");
    // Two arrive together: shown one by one.
    let _ = p.notification(&sale(1, "10"), t0, false);
    let _ = p.notification(&sale(2, "20"), ms(t0, 100), false);
    assert!(p.tick(ms(t0, 300)).is_empty(), "gathering");
    let first = p.tick(ms(t0, 500));
    assert_eq!(titles(&first), ["Compra #1", "Compra #2"]);
    // Two more within the window: four in two seconds is a burst; the summary is a toast
    // of its own for what it announces.
    let _ = p.notification(&sale(3, "30"), ms(t0, 800), false);
    let _ = p.notification(&of_kind(4, "stock_bajo"), ms(t0, 900), false);
    let burst = p.tick(ms(t0, 1300));
    let summary = toasts(&burst);
    assert_eq!(summary.len(), 1);
    let slot = summary[0].slot;
    assert!(!summary[0].replaces);
    assert_eq!(summary[0].kind, ToastKind::Summary);
    assert_eq!(summary[0].title, "2 notificaciones nuevas");
    assert_eq!(summary[0].body, "1 compra · $30,00 · 1 aviso de stock bajo");
    assert_eq!(summary[0].items.len(), 2);
    // It keeps coming: the same toast grows, silently.
    let _ = p.notification(&sale(5, "40"), ms(t0, 2500), false);
    let grown = p.tick(ms(t0, 3000));
    let update = toasts(&grown);
    assert_eq!(
        (update[0].slot, update[0].replaces, update[0].silent),
        (slot, true, true)
    );
    assert_eq!(update[0].title, "3 notificaciones nuevas");
    assert_eq!(update[0].body, "2 compras · $70,00 · 1 aviso de stock bajo");
    // Two quiet seconds end it: the next one is a toast of its own again.
    assert!(p.tick(ms(t0, 5000)).is_empty());
    let _ = p.notification(&sale(6, "1"), ms(t0, 6000), false);
    let after = p.tick(ms(t0, 6500));
    assert_eq!(titles(&after), ["Compra #6"]);
    assert_ne!(toasts(&after)[0].slot, slot);
}

#[test]
fn ten_at_once_are_one_summary_from_the_start() {
    let mut p = policy_at("", Lang::En, t("2026-12-08T12:00:00"));
    let t0 = t("2026-12-08T12:00:00");
    for i in 0..10 {
        let _ = p.notification(&sale(i, "100"), ms(t0, i as i64 * 30), false);
    }
    let out = p.tick(ms(t0, 800));
    assert_eq!(titles(&out), ["10 new notifications"]);
    assert_eq!(toasts(&out)[0].body, "10 purchases · $1,000.00");
    // A large burst names a bounded number of items; its count stays exact.
    let mut big = policy("");
    let t3 = t("2026-12-08T15:00:00");
    for i in 0..300 {
        let _ = big.notification(&sale(i, "1"), t3, false);
    }
    let out = big.tick(ms(t3, 500));
    assert_eq!(titles(&out), ["300 notificaciones nuevas"]);
    assert_eq!(toasts(&out)[0].items.len(), MAX_ITEMS);
    // A burst's summary may start with one (the demo's steady trickle): in the singular.
    let mut one = policy("");
    let t4 = t("2026-12-08T16:00:00");
    let mut shown = Vec::new();
    for i in 0..4 {
        let _ = one.notification(&sale(i, "1"), ms(t4, i as i64 * 500), false);
        shown.extend(one.tick(ms(t4, i as i64 * 500 + 450)));
    }
    assert_eq!(
        titles(&shown),
        [
            "Compra #0",
            "Compra #1",
            "Compra #2",
            "1 notificación nueva"
        ]
    );
    let _ = one.notification(&sale(9, "1"), ms(t4, 2000), false);
    let out = one.tick(ms(t4, 2450));
    assert_eq!(titles(&out), ["2 notificaciones nuevas"]);
    // A trickle that never pauses for the gather time is still shown within the window.
    let mut p = policy("");
    let t1 = t("2026-12-08T13:00:00");
    let mut shown = Vec::new();
    for i in 0..30 {
        let now = ms(t1, i * 300);
        let _ = p.notification(&sale(i as u32, "1"), now, false);
        shown.extend(p.tick(now));
    }
    assert!(!toasts(&shown).is_empty(), "shown while it lasts");
    let slots: std::collections::BTreeSet<u64> = toasts(&shown).iter().map(|t| t.slot).collect();
    assert_eq!(
        slots.len(),
        1,
        "one toast for the whole trickle: {shown:#?}"
    );
}

#[test]
fn caught_up_notifications_become_one_digest() {
    let start = t("2026-12-08T09:00:00");
    let mut p = policy_at("", Lang::Es, start);
    let mut old = sale(1, "100.00");
    old.created_at = "2026-12-08T11:00:00Z".into(); // 07:00 in La Paz, two hours before
    assert!(p.is_late(&old, start));
    let mut fresh = sale(9, "1");
    fresh.created_at = "2026-12-08T12:59:30Z".into();
    assert!(!p.is_late(&fresh, start));
    let mut out = Vec::new();
    for (i, kind) in ["nueva_compra", "nueva_compra", "pago_procesado"]
        .iter()
        .enumerate()
    {
        let n = Notification {
            kind: kind.to_string(),
            ..sale(i as u32 + 1, "100.00")
        };
        out.extend(p.notification(&n, ms(start, i as i64 * 100), true));
    }
    out.extend(p.tick(ms(start, 1000)));
    assert!(
        out.is_empty(),
        "nothing while the catch-up goes on: {out:?}"
    );
    let done = p.tick(ms(start, 2500));
    assert!(matches!(
        done[0],
        Decision::Digest {
            reason: Reason::Away,
            ..
        }
    ));
    assert_eq!(
        toasts(&done)[0].body,
        "2 compras · $200,00 · 1 pago · $100,00"
    );
}

#[test]
fn a_catch_up_in_quiet_hours_waits_for_their_digest() {
    let start = t("2026-12-07T23:00:00");
    let mut p = policy_at(QUIET, Lang::Es, start);
    let out = p.notification(&sale(1, "5.00"), start, true);
    assert!(out.is_empty());
    let settled = p.tick(ms(start, 2500));
    assert_eq!(
        settled,
        [Decision::Held {
            account: "tienda".into(),
            id: "1".into(),
            reason: Reason::QuietHours
        }]
    );
    let morning = p.tick(t("2026-12-08T07:00:00"));
    assert_eq!(toasts(&morning)[0].body, "1 compra · $5,00");
}

#[test]
fn a_snooze_is_due_after_a_restart() {
    let n = sale(7, "10");
    let mut before = policy("");
    let snoozed = before.snooze(&n, t("2026-12-08T09:00:00"));
    assert_eq!(
        snoozed,
        Decision::Snoozed {
            account: "tienda".into(),
            id: "7".into(),
            until: "2026-12-08T13:00:00Z".into()
        }
    );
    assert!(before.tick(t("2026-12-08T08:59:59")).is_empty());
    drop(before);
    // A new process, long after: the store gives the snooze back, due at the first tick.
    let mut after = policy_at("", Lang::En, t("2026-12-08T10:00:00"));
    let _ = after.snooze(&n, t("2026-12-08T09:00:00"));
    assert!(after.is_snoozed("tienda", "7"));
    let out = after.tick(t("2026-12-08T10:00:00"));
    assert_eq!(
        out[0],
        Decision::Released {
            account: "tienda".into(),
            id: "7".into()
        }
    );
    let reminder = toasts(&out);
    assert_eq!(reminder[0].kind, ToastKind::Reminder);
    assert_eq!(reminder[0].title, "Reminder: Compra #7");
    assert_eq!(reminder[0].items[0].id, "7");
    assert!(!after.is_snoozed("tienda", "7"));
    assert!(after.tick(t("2026-12-08T10:00:01")).is_empty());
    // Due in quiet hours: held, and in the morning's digest.
    let mut night = policy(QUIET);
    let _ = night.snooze(&n, t("2026-12-08T23:00:00"));
    let out = night.tick(t("2026-12-08T23:00:00"));
    assert!(matches!(out[1], Decision::Held { .. }), "{out:?}");
    assert_eq!(
        toasts(&night.tick(t("2026-12-09T07:00:00")))[0].body,
        "1 compra · $10,00"
    );
    // Unsnoozed (read meanwhile): never comes back.
    let mut p = policy("");
    let _ = p.snooze(&n, t("2026-12-08T09:00:00"));
    p.unsnooze("tienda", "7");
    assert!(p.tick(t("2026-12-08T10:00:00")).is_empty());
}

#[test]
fn a_silence_alarm_fires_once_and_the_next_sale_rearms_it() {
    let src = r#"
[[silence]]
name = "ventas"
kind = "nueva_compra"
after = "2h"
days = ["laborables"]
from = "09:00"
to = "21:00"
"#;
    // Monday 08:00: the app starts.
    let mut p = policy(src);
    assert!(p.tick(t("2026-12-07T10:59:59")).is_empty());
    let fired = p.tick(t("2026-12-07T11:00:00"));
    assert_eq!(
        fired[0],
        Decision::Silence {
            account: "tienda".into(),
            alarm: "ventas".into(),
            kind: "nueva_compra".into(),
            since: "2026-12-07T13:00:00Z".into()
        }
    );
    assert_eq!(titles(&fired), ["tienda: sin compras desde las 09:00"]);
    assert_eq!(
        toasts(&fired)[0].body,
        "Nada en 2 h. ¿Funcionan el checkout y el webhook?"
    );
    assert_eq!(p.silent_alarms(), [("tienda".into(), "ventas".into())]);
    assert!(p.tick(t("2026-12-07T12:00:00")).is_empty(), "once");
    // Other kinds do not re-arm it; a sale does.
    let other = p.notification(&of_kind(1, "stock_bajo"), t("2026-12-07T12:10:00"), false);
    assert!(!other
        .iter()
        .any(|d| matches!(d, Decision::SilenceCleared { .. })));
    let back = p.notification(&sale(2, "10"), t("2026-12-07T12:30:00"), false);
    assert_eq!(
        back[0],
        Decision::SilenceCleared {
            account: "tienda".into(),
            alarm: "ventas".into()
        }
    );
    assert!(p.silent_alarms().is_empty());
    assert!(p
        .tick(t("2026-12-07T14:29:59"))
        .iter()
        .all(|d| !matches!(d, Decision::Silence { .. })));
    let again = p.tick(t("2026-12-07T14:30:00"));
    assert_eq!(titles(&again), ["tienda: sin compras desde las 12:30"]);
    // Saturday: not watched.
    let mut weekend = policy_at(src, Lang::Es, t("2026-12-05T08:00:00"));
    assert!(weekend.tick(t("2026-12-05T20:00:00")).is_empty());
}

#[test]
fn the_presets_defaults_and_bad_settings() {
    let profile = Profile::load("smartsales").unwrap();
    let account = Account::from_profile("tienda", &profile, Lang::Es);
    assert_eq!(account.preset_rules.len(), 2);
    let src = r#"
burst_maximo = 3
time_zone = "Luna/Tycho"
quiet_hours = [{ from = "22:00", to = "22:00" }, { from = "23:00", to = "06:00" }]
[time_zones]
otra = "America/La_Paz"
[[rules]]
name = "de otra"
account = "otra"
action = "mute"
[[rules]]
name = "mala"
when = "datos.total >>= 3"
action = "urgent"
[[silence]]
kind = "nueva_compra"
after = "nunca"
"#;
    let c: PolicyConfig = toml::from_str(src).unwrap();
    let (mut p, errors) = Policy::new(&c, vec![account], Lang::Es, t("2026-12-08T12:00:00"));
    let es: Vec<String> = errors.iter().map(|e| e.message(Lang::Es)).collect();
    assert_eq!(
        es,
        [
            "[policy], clave `burst_maximo`: clave desconocida (¿un error de escritura?)",
            "[policy], clave `time_zone`: zona horaria desconocida `Luna/Tycho` (un nombre IANA como America/La_Paz)",
            "[policy], clave `time_zones.otra`: no hay ninguna cuenta `otra`",
            "la regla «mala», clave `when`: `>` compara números, y `>= 3` no es un número",
            "la regla «de otra», clave `account`: no hay ninguna cuenta `otra`",
            "el horario de silencio n.º 1, clave `to`: `from` y `to` son la misma hora: el horario no dura nada (para todo el día: 00:00 a 24:00)",
            "la alarma de silencio «#1», clave `after`: `nunca` no es una duración (p. ej. 90s, 30m, 2h, 1h30m)",
        ]
    );
    // The rest works: the preset's urgent rule still applies, the good rule too.
    assert!(p.effect(&sale(1, "1500.00")).urgent);
    let out = p.notification(&sale(2, "10"), t("2026-12-08T12:00:00"), false);
    assert!(out.is_empty(), "gathered: {out:?}");
}

#[test]
fn no_badge_leaves_a_notification_off_the_badge_only_when_its_rule_decides() {
    let src = r#"
[[rules]]
name = "grandes primero"
kind = "stock_bajo"
when = "datos.stock <= 0"
action = "urgent"
[[rules]]
name = "sin contador"
kind = "stock_*"
action = "no_badge"
"#;
    let p = policy(src);
    assert!(p.hides_from_badge("tienda"));
    let low = of_kind(1, "stock_bajo");
    assert!(!p.counts_on_badge(&low));
    // First match wins: an empty stock is urgent, and counted.
    let empty = Notification {
        data: json!({"stock": 0}),
        ..of_kind(2, "stock_bajo")
    };
    assert!(p.counts_on_badge(&empty));
    assert!(p.counts_on_badge(&sale(3, "10")));
    // Without a no_badge rule nothing needs matching: the badge is the unread count.
    assert!(!policy(QUIET).hides_from_badge("tienda"));
}

/// The evening that [`sleeping_until_each_deadline_misses_nothing`] lives twice.
const EVENING: &str = r#"
quiet_hours = [{ from = "22:00", to = "22:30" }]
[[silence]]
name = "ventas"
kind = "nueva_compra"
after = "45m"
from = "21:00"
to = "23:59"
"#;

enum Step {
    Arrives(Notification),
    Snooze(u32, &'static str),
}

fn evening_script() -> Vec<(Timestamp, Step)> {
    let at = |civil: &str| t(&format!("2026-12-07T{civil}"));
    let mut script = vec![(at("21:50:00"), Step::Arrives(sale(1, "150.00")))];
    // A burst: six within a second.
    for i in 0..6 {
        script.push((
            ms(at("21:52:00"), i * 200),
            Step::Arrives(sale(20 + i as u32, "10.00")),
        ));
    }
    script.extend([
        (at("21:55:00"), Step::Snooze(1, "22:40:00")),
        (at("22:05:00"), Step::Arrives(sale(10, "100.00"))),
        (at("22:06:00"), Step::Arrives(of_kind(11, "stock_bajo"))),
        (at("22:10:00"), Step::Arrives(sale(12, "5000.00"))),
        // 45 min after 22:10 the alarm fired (22:55); this sale re-arms it.
        (at("23:00:00"), Step::Arrives(sale(13, "20.00"))),
    ]);
    script
}

/// Lives the evening, ticking where `next_tick(policy, now)` says, until 23:10; returns
/// each decision with when it was made.
fn live_evening(
    mut next_tick: impl FnMut(&Policy, Timestamp) -> Timestamp,
) -> Vec<(Timestamp, Decision)> {
    let start = t("2026-12-07T21:45:00");
    let end = t("2026-12-07T23:10:00");
    let mut p = policy_at(EVENING, Lang::Es, start);
    let mut script = evening_script().into_iter().peekable();
    let mut out = Vec::new();
    let mut now = start;
    let mut ticks = 0;
    while now < end {
        let due = next_tick(&p, now).min(end);
        let event_at = script.peek().map(|(at, _)| *at).unwrap_or(end);
        if due <= event_at {
            assert!(due > now || ticks == 0, "a deadline did not move on: {due}");
            now = due;
            ticks += 1;
            out.extend(p.tick(now).into_iter().map(|d| (now, d)));
            continue;
        }
        now = event_at;
        // What is due at this instant was ticked first (above), as an embedder would.
        let Some((_, step)) = script.next() else {
            continue;
        };
        let decisions = match step {
            Step::Arrives(n) => p.notification(&n, now, false),
            Step::Snooze(id, until) => {
                vec![p.snooze(&sale(id, "150.00"), t(&format!("2026-12-07T{until}")))]
            }
        };
        out.extend(decisions.into_iter().map(|d| (now, d)));
    }
    out
}

#[test]
fn sleeping_until_each_deadline_misses_nothing() {
    // Ticked every 100 ms (what the shells did) ...
    let every_100_ms = live_evening(|_, now| ms(now, 100));
    // ... and only when the policy says something is due: the same decisions at the same
    // instants, from far fewer ticks.
    let mut ticks = 0;
    let at_deadlines = live_evening(|p, now| {
        ticks += 1;
        p.next_deadline(now).unwrap_or(Timestamp::MAX).max(now)
    });
    assert_eq!(at_deadlines, every_100_ms);
    assert!(ticks < 40, "{ticks} ticks");
    // The evening had everything that waits on time in it.
    let kinds: Vec<String> = every_100_ms
        .iter()
        .filter_map(|(at, d)| match d {
            Decision::Toast(t) => Some(format!(
                "{} {:?} {}",
                at.to_zoned(TimeZone::get(TZ).unwrap())
                    .strftime("%H:%M:%S%.f"),
                t.kind,
                t.title
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "21:50:00.4 Single Compra #1",
            "21:52:01.4 Summary 6 notificaciones nuevas",
            "22:10:00.4 Single Compra #12",
            "22:30:00 Digest Mientras no estabas",
            "22:40:00 Reminder Recordatorio: Compra #1",
            "22:55:00 Silence tienda: sin compras desde las 22:10",
            "23:00:00.4 Single Compra #13",
        ]
    );
}

#[test]
fn next_deadline_names_what_is_due() {
    let mut p = policy(EVENING);
    // 21:00 on Monday: only the alarm waits, 45 min after its watched hours began.
    let nine = t("2026-12-07T21:00:00");
    assert_eq!(p.next_deadline(nine), Some(t("2026-12-07T21:45:00")));
    // Before its hours (08:00, when the policy was made): their start.
    assert_eq!(
        p.next_deadline(t("2026-12-07T08:00:00")),
        Some(t("2026-12-07T21:00:00"))
    );
    // A sale gathers for 0.4 s, and re-arms the alarm from then.
    let _ = p.notification(&sale(1, "10"), nine, false);
    assert_eq!(p.next_deadline(nine), Some(ms(nine, 400)));
    let _ = p.tick(ms(nine, 400));
    assert_eq!(
        p.next_deadline(ms(nine, 400)),
        Some(ms(t("2026-12-07T21:45:00"), 0))
    );
    // Held in quiet hours: their end.
    let quiet = t("2026-12-07T22:10:00");
    let _ = p.notification(&of_kind(2, "stock_bajo"), quiet, false);
    let _ = p.tick(ms(quiet, 1));
    assert_eq!(
        p.next_deadline(ms(quiet, 1)),
        Some(t("2026-12-07T22:30:00"))
    );
    // A snooze due earlier comes first.
    let _ = p.snooze(&sale(1, "10"), t("2026-12-07T22:20:00"));
    assert_eq!(
        p.next_deadline(ms(quiet, 1)),
        Some(t("2026-12-07T22:20:00"))
    );
    // Fired, with nothing held or snoozed: nothing waits on time.
    let mut q = policy(EVENING);
    let _ = q.tick(t("2026-12-07T21:45:00"));
    assert_eq!(q.silent_alarms().len(), 1);
    assert_eq!(q.next_deadline(t("2026-12-07T21:46:00")), None);
    // Quiet hours across midnight end the next morning.
    let mut night = policy(QUIET);
    let late = t("2026-12-07T23:00:00");
    assert_eq!(night.next_deadline(late), None);
    let _ = night.notification(&sale(3, "10"), late, false);
    assert_eq!(night.next_deadline(late), Some(t("2026-12-08T07:00:00")));
}

#[test]
fn new_settings_keep_what_the_old_policy_held() {
    let start = t("2026-12-07T21:00:00");
    let mut p = policy_at(EVENING, Lang::Es, start);
    let quiet = t("2026-12-07T22:05:00");
    let mut held = p.notification(&sale(10, "100.00"), quiet, false);
    held.extend(p.notification(&of_kind(11, "stock_bajo"), quiet, false));
    held.extend(p.notification(&of_kind(12, "devolucion_solicitada"), quiet, false));
    held.extend(p.tick(ms(quiet, 500)));
    assert_eq!(
        held.iter()
            .filter(|d| matches!(d, Decision::Held { .. }))
            .count(),
        3
    );
    // The panel saves new rules (returns muted from now on) while three toasts are held.
    let rebuilt = |src: &str| policy_at(&format!("{EVENING}{src}"), Lang::Es, ms(quiet, 600));
    let mut next = rebuilt(
        r#"
[[rules]]
name = "sin devoluciones"
kind = "devolucion_*"
action = "mute"
"#,
    );
    next.take_over(p);
    assert_eq!(next.next_deadline(quiet), Some(t("2026-12-07T22:30:00")));
    let digest = next.tick(t("2026-12-07T22:30:00"));
    assert_eq!(titles(&digest), ["Mientras no estabas"]);
    assert_eq!(
        toasts(&digest)[0].body,
        "1 compra · $100,00 · 1 aviso de stock bajo"
    );

    // A burst going on keeps its toast; a gathering batch is still shown; a fired alarm
    // stays fired.
    let mut p = policy_at(EVENING, Lang::Es, start);
    let fired = p.tick(t("2026-12-07T21:45:00"));
    assert_eq!(titles(&fired).len(), 1);
    let t0 = t("2026-12-07T21:50:00");
    for i in 0..5 {
        let _ = p.notification(&sale(30 + i, "1"), ms(t0, i as i64 * 10), false);
    }
    let first = p.tick(ms(t0, 500));
    let slot = toasts(&first)[0].slot;
    let _ = p.notification(&sale(40, "1"), ms(t0, 1000), false);
    let mut next = rebuilt("");
    next.take_over(p);
    let grown = next.tick(ms(t0, 1500));
    let update = toasts(&grown);
    assert_eq!(
        (update[0].slot, update[0].replaces, update[0].title.as_str()),
        (slot, true, "6 notificaciones nuevas")
    );
    assert_eq!(next.silent_alarms().len(), 0, "re-armed by the sales");
    let mut q = policy_at(EVENING, Lang::Es, start);
    let _ = q.tick(t("2026-12-07T21:45:00"));
    let mut next = rebuilt("");
    next.take_over(q);
    assert_eq!(next.silent_alarms(), [("tienda".into(), "ventas".into())]);
    assert!(next.tick(t("2026-12-07T23:00:00")).is_empty(), "fired once");
}

#[test]
fn a_catch_up_that_cannot_work_is_one_toast_in_the_users_language_even_in_quiet_hours() {
    let night = t("2026-12-07T23:10:00");
    let mut es = policy_at(QUIET, Lang::Es, night);
    assert_eq!(es.held_by("tienda", night), Some(Reason::QuietHours));
    let out = es.problem("tienda", ErrorCode::CatchUpFailed);
    let shown = toasts(&out);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].kind, ToastKind::Problem);
    assert_eq!(shown[0].title, "tienda: se pueden perder notificaciones");
    assert!(shown[0].body.contains("rest.list"), "{}", shown[0].body);
    assert!(shown[0].items.is_empty(), "a click opens the panel");
    let mut en = policy_at("", Lang::En, night);
    let out = en.problem("tienda", ErrorCode::CatchUpFailed);
    assert_eq!(titles(&out), ["tienda: notifications may be lost"]);
    // Errors that lose nothing (a bad frame is skipped and said) are not toasts.
    assert!(en.problem("tienda", ErrorCode::BadFrame).is_empty());
    // A user the server refuses: said once, in the user's language.
    assert_eq!(
        titles(&es.problem("tienda", ErrorCode::Forbidden)),
        ["tienda: este usuario no tiene permiso"]
    );
    assert_eq!(
        titles(&en.problem("tienda", ErrorCode::Forbidden)),
        ["tienda: this user has no permission"]
    );
}

#[test]
fn a_test_toast_is_shown_in_quiet_hours_in_the_users_language() {
    let night = t("2026-12-07T23:10:00");
    let mut es = policy_at(QUIET, Lang::Es, night);
    assert_eq!(es.held_by("tienda", night), Some(Reason::QuietHours));
    let out = es.test_toast(Some("tienda"));
    let shown = toasts(&out);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].kind, ToastKind::Test);
    assert_eq!(shown[0].title, "tienda: aviso de prueba");
    assert!(!shown[0].silent, "it sounds as a toast would");
    assert!(shown[0].items.is_empty(), "a click opens the panel");
    let mut en = policy_at("", Lang::En, night);
    assert_eq!(titles(&en.test_toast(None)), ["Test notification"]);
}

#[test]
fn the_badge_counts_every_store_or_the_chosen_ones() {
    let stores = [("centro", 3), ("norte", 4), ("sur", 0)];
    assert_eq!(badge_total(stores, None), 7);
    let only = ["norte".to_string()];
    assert_eq!(badge_total(stores, Some(&only)), 4);
    assert_eq!(badge_total(stores, Some(&[])), 0);
    let gone = ["oeste".to_string(), "centro".to_string()];
    assert_eq!(badge_total(stores, Some(&gone)), 3);
}
