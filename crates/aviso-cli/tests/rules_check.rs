//! `aviso-cli rules check`: every bad item of a `[policy]` named with its key, in the
//! user's language; the preset's own rules pass. Runs on every platform.

use std::path::Path;
use std::process::Command;

use aviso_testkit::ArtifactDir;

const BIN: &str = env!("CARGO_BIN_EXE_aviso-cli");

/// Bad rules, impossible schedules and unknown fields: each a clear error naming the item
/// and the key, in the language of LANG, and `rules check` fails; a good file passes.
#[test]
fn rules_check_names_each_bad_item_in_spanish_and_english() {
    let dir = ArtifactDir::new("cli-rules-check");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"
[[accounts]]
name = "tienda"
server = "http://127.0.0.1:8000"
profile = "smartsales"

[policy]
quiet_hours = [{ days = ["lunes", "feriado"], from = "22:00", to = "07:00" },
               { from = "23:00", to = "23:00" }]
[[policy.rules]]
name = "grandes"
kind = "nueva_compra"
when = "datos.total >= mucho"
action = "urgent"
[[policy.rules]]
name = "campo"
when = "precio > 3"
action = "quiet"
[[policy.rules]]
name = "bien"
kind = "pago_*"
acction = "quiet"
[[policy.silence]]
name = "ventas"
kind = "nueva_compra"
after = "dos horas"
"#,
    )
    .unwrap();
    let check = |lang: &str, file: &Path| {
        let out = Command::new(BIN)
            .args(["rules", "check"])
            .arg(file)
            .env("LANG", lang)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("AVISO_CONFIG_DIR", dir.path().join("config"))
            .env("AVISO_DATA_DIR", dir.path().join("data"))
            .output()
            .unwrap();
        let text = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .replace(&format!("{}: ", file.display()), "")
                .replace(&file.display().to_string(), "FILE")
        };
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let (ok, stdout, stderr) = check("es_BO.UTF-8", &bad);
    assert!(!ok);
    assert_eq!(
        stdout,
        "la regla «grandes», clave `when`: `>=` compara números, y `mucho` no es un número
la regla «campo», clave `when`: campo desconocido `precio` (usa datos.CAMPO, kind, title, body, url o id)
la regla «bien», clave `acction`: clave desconocida (¿un error de escritura?)
el horario de silencio n.º 1, clave `days`: día desconocido `feriado` (lun, mar, mie, jue, vie, sab, dom, laborables, fin_de_semana, todos; o mon…sun)
el horario de silencio n.º 2, clave `to`: `from` y `to` son la misma hora: el horario no dura nada (para todo el día: 00:00 a 24:00)
la alarma de silencio «ventas», clave `after`: `dos horas` no es una duración (p. ej. 90s, 30m, 2h, 1h30m)
"
    );
    assert_eq!(stderr, "aviso-cli: 6 error(es) en FILE\n");
    let (ok, stdout, _) = check("en_US.UTF-8", &bad);
    assert!(!ok);
    assert_eq!(
        stdout.lines().next(),
        Some("rule `grandes`, key `when`: `>=` compares numbers, and `mucho` is not a number")
    );
    assert_eq!(stdout.lines().count(), 6);
    // The preset's own rules are valid.
    let preset = dir.path().join("smartsales.toml");
    std::fs::write(
        &preset,
        aviso_engine::Profile::preset_source("smartsales").unwrap(),
    )
    .unwrap();
    let (ok, stdout, _) = check("en_US.UTF-8", &preset);
    assert!(ok);
    assert_eq!(
        stdout,
        "ok (2 rules, 0 quiet-hours windows, 0 silence alarms)\n"
    );
    // An unusable snooze time is refused, in words.
    let out = Command::new(BIN)
        .args(["snooze", "1", "pronto"])
        .env("LANG", "es_ES.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("AVISO_CONFIG_DIR", dir.path().join("config"))
        .env("AVISO_DATA_DIR", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "aviso-cli: no hay ninguna notificación `1` guardada (mira `aviso-cli list`)\n"
    );
}
