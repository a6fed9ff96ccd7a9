//! The embedded demo backend as tests use it: quiet (no generated events), its tokens, a sale.

use aviso_demo::{DemoConfig, DemoControl, DemoServer, EmitSpec};
use aviso_engine::credentials::Tokens;
use aviso_engine::{Profile, Secret};

/// A demo config without the event generator, so every notification comes from the test.
pub fn quiet() -> DemoConfig {
    DemoConfig {
        event_interval: None,
        ..DemoConfig::default()
    }
}

/// A quiet demo on a port of its own (it binds port 0 and keeps it).
pub async fn start() -> DemoServer {
    start_with(quiet()).await
}

/// A demo with `config` on a port of its own.
pub async fn start_with(config: DemoConfig) -> DemoServer {
    DemoServer::start("127.0.0.1:0".parse().expect("an address"), config)
        .await
        .expect("start the demo backend")
}

/// Signs `user` (password: the user name, as the demo's users have) in to the demo at `url`
/// as the engine does, through the `smartsales` preset's login.
pub async fn tokens(url: &str, user: &str) -> Tokens {
    let profile = Profile::load("smartsales").expect("the smartsales preset");
    let tls = aviso_engine::tls::client_config(None).expect("TLS config");
    let server = url::Url::parse(url).expect("the demo's URL");
    aviso_engine::auth::obtain(
        &aviso_engine::engine::http_client(&tls).expect("HTTP client"),
        &server,
        &profile.auth,
        user,
        &Secret::new(user),
    )
    .await
    .expect("demo login")
}

/// `admin`'s tokens as the CLI takes them (`AVISO_TOKEN`, `AVISO_REFRESH_TOKEN`).
pub async fn admin_tokens(url: &str) -> (String, String) {
    let t = tokens(url, "admin").await;
    (
        t.access.expose().to_string(),
        t.refresh.expect("a refresh token").expose().to_string(),
    )
}

/// Emits one notification of `kind` titled `title`, its message naming `total`, with
/// `datos.total` (none when `total` is empty); returns its id. The policy evenings' sales
/// (crates/aviso-cli/tests/policy.rs, tests/desktop/evening.rs).
pub fn emit_sale(control: &DemoControl, kind: &str, title: &str, total: &str) -> String {
    control.emit(
        1,
        &EmitSpec {
            tipo: Some(kind.into()),
            titulo: Some(title.into()),
            mensaje: Some(format!("{title}: total {total}")),
            datos: Some(if total.is_empty() {
                serde_json::json!({})
            } else {
                serde_json::json!({ "total": total })
            }),
            ..Default::default()
        },
    )[0]
    .to_string()
}
