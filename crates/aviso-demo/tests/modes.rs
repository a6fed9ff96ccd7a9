//! Failure modes, token expiry and revocation, restarts, and the `/__demo/` HTTP controls.

mod support;

use aviso_demo::{DemoModes, DemoServer, DemoStats, EmitSpec, RawFrame, UserNotification};
use futures_util::SinkExt;
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn ws_404_mode_refuses_upgrades_but_keeps_rest() {
    let server = start().await;
    let control = server.control();
    let (access, _) = login(&server, "admin").await;
    control.set_ws_404(true);
    let origin = server.http_url();
    assert_eq!(
        connect_with(&server, Some(&access), Some(&origin))
            .await
            .err(),
        Some(404)
    );
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &access).await.0,
        200
    );
    control.set_ws_404(false);
    connect(&server, &access).await;
    assert_eq!(
        (control.stats().ws_refused, control.stats().ws_accepted),
        (1, 1)
    );
}

#[tokio::test]
async fn stall_mode_goes_silent_on_old_and_new_sockets() {
    let server = start().await;
    let control = server.control();
    let (access, _) = login(&server, "admin").await;
    let mut before = connect(&server, &access).await;
    control.set_stall(true);
    let mut after = connect(&server, &access).await;
    control.emit(1, &EmitSpec::default());
    assert_silent(&mut before).await;
    // A stalled server does not read, so it does not answer our ping either.
    after
        .send(Message::Ping(b"hi".to_vec().into()))
        .await
        .unwrap();
    assert_silent(&mut after).await;
    assert_eq!(control.stats().frames_pushed, 0);
    assert_eq!(control.notifications().len(), 1, "stored all the same");

    assert_eq!(control.drop_sockets(), 2);
    assert_dropped(&mut before).await;
    assert_dropped(&mut after).await;
    control.set_stall(false);
    let mut fresh = connect(&server, &access).await;
    control.emit(1, &EmitSpec::default());
    assert_eq!(next_json(&mut fresh).await["id"], 2);
}

#[tokio::test]
async fn drop_pushes_mode_stores_without_pushing() {
    let server = start().await;
    let control = server.control();
    let (access, _) = login(&server, "admin").await;
    let mut ws = connect(&server, &access).await;
    control.set_drop_pushes(true);
    assert_eq!(control.emit(2, &EmitSpec::default()), [1, 2]);
    assert_silent(&mut ws).await;
    let (_, page) = get(&server, "/api/admin/notificaciones/", &access).await;
    assert_eq!(page["count"], 2);
    control.set_drop_pushes(false);
    control.emit(1, &EmitSpec::default());
    assert_eq!(next_json(&mut ws).await["id"], 3);
    assert_eq!(control.modes(), DemoModes::default());
}

#[tokio::test]
async fn expired_access_tokens_refresh_fine() {
    let server = start().await;
    let (access, refresh) = login(&server, "admin").await;
    server.control().expire_tokens();
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &access).await.0,
        401
    );
    let origin = server.http_url();
    assert_eq!(
        connect_with(&server, Some(&access), Some(&origin))
            .await
            .err(),
        Some(403)
    );

    let url = format!("{}/api/token/refresh/", server.http_url());
    let response = http()
        .post(url)
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let fresh = response.json::<Value>().await.unwrap()["access"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &fresh).await.0,
        200
    );
    connect(&server, &fresh).await;
}

#[tokio::test]
async fn revoked_tokens_need_a_new_login() {
    let server = start().await;
    let (access, refresh) = login(&server, "admin").await;
    server.control().revoke_tokens();
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &access).await.0,
        401
    );
    let url = format!("{}/api/token/refresh/", server.http_url());
    let response = http()
        .post(url)
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (again, _) = login(&server, "admin").await;
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &again).await.0,
        200
    );
}

#[tokio::test]
async fn tokens_expire_on_their_own() {
    let config = aviso_demo::DemoConfig {
        event_interval: None,
        access_ttl: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let server = start_with(config).await;
    let (access, _) = login(&server, "admin").await;
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &access).await.0,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &access).await.0,
        401
    );
}

#[tokio::test]
async fn stop_drops_everything_and_restart_keeps_the_data() {
    let server = start().await;
    let (access, refresh) = login(&server, "admin").await;
    server.control().emit(3, &EmitSpec::default());
    let mut ws = connect(&server, &access).await;
    let addr = server.addr();

    let state = server.stop().await;
    assert_dropped(&mut ws).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );

    let server = DemoServer::start_with_state(addr, state).await.unwrap();
    assert_eq!(server.addr(), addr, "same port, right away");
    let (_, page) = get(&server, "/api/admin/notificaciones/", &access).await;
    assert_eq!(page["count"], 3, "old access token and data both survive");
    let mut ws = connect(&server, &access).await;
    assert_eq!(server.control().emit(1, &EmitSpec::default()), [4]);
    assert_eq!(next_json(&mut ws).await["id"], 4);
    let url = format!("{}/api/token/refresh/", server.http_url());
    let response = http()
        .post(url)
        .json(&json!({"refresh": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn raw_frames_reach_every_socket_unchanged() {
    let server = start().await;
    let control = server.control();
    let (access, _) = login(&server, "admin").await;
    let mut ws = connect(&server, &access).await;
    assert_eq!(control.raw_frame(RawFrame::Text("{not json".into())), 1);
    assert_eq!(next_frame(&mut ws).await, Message::text("{not json"));
    control.raw_frame(RawFrame::Binary(vec![0, 255]));
    assert_eq!(next_frame(&mut ws).await, Message::binary(vec![0, 255]));
    control.raw_frame(RawFrame::TextBytes(vec![b'{', 0xff, b'}']));
    // tungstenite refuses invalid UTF-8 in a text frame: the bytes arrived as sent.
    let got = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut ws))
        .await
        .unwrap();
    assert!(matches!(got, Some(Err(_))), "{got:?}");
}

#[tokio::test]
async fn http_controls_mirror_the_handle() {
    let server = start().await;
    let (access, _) = login(&server, "admin").await;
    let mut ws = connect(&server, &access).await;
    let demo = |path: &str| format!("{}/__demo/{path}", server.http_url());
    let call = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()
    };

    let spec = json!({"count": 2, "tipo": "stock_bajo", "url": "javascript:alert(1)"});
    assert_eq!(
        call(http().post(demo("emit")).json(&spec)).await,
        json!({"ids": [1, 2]})
    );
    let frame = next_json(&mut ws).await;
    assert_eq!(
        (&frame["tipo"], &frame["url"]),
        (&json!("stock_bajo"), &json!("javascript:alert(1)"))
    );
    next_json(&mut ws).await;
    assert_eq!(call(http().post(demo("emit"))).await, json!({"ids": [3]}));
    next_json(&mut ws).await;

    let big = "x".repeat(3 << 20);
    let sent = call(http().post(demo("raw-frame?type=text")).body(big.clone())).await;
    assert_eq!(sent, json!({"sockets": 1}));
    assert_eq!(next_frame(&mut ws).await, Message::text(big));
    call(
        http()
            .post(demo("raw-frame?type=binary"))
            .body(vec![1u8, 2]),
    )
    .await;
    assert_eq!(next_frame(&mut ws).await, Message::binary(vec![1u8, 2]));
    let bad = http()
        .post(demo("raw-frame?type=text"))
        .body(vec![0xffu8])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let modes = call(
        http()
            .post(demo("modes"))
            .json(&json!({"drop_pushes": true})),
    )
    .await;
    assert_eq!(
        modes,
        json!({"ws_404": false, "stall": false, "drop_pushes": true})
    );
    assert_eq!(call(http().get(demo("modes"))).await, modes);

    let listed: Vec<UserNotification> =
        serde_json::from_value(call(http().get(demo("notifications"))).await).unwrap();
    assert_eq!(listed, server.control().notifications());
    assert_eq!(
        call(http().post(demo("drop-sockets"))).await,
        json!({"sockets": 1})
    );
    assert_dropped(&mut ws).await;

    call(http().post(demo("expire-tokens"))).await;
    assert_eq!(
        get(&server, "/api/admin/notificaciones/", &access).await.0,
        401
    );
    call(http().post(demo("revoke-tokens"))).await;
    let stats: DemoStats = serde_json::from_value(call(http().get(demo("stats"))).await).unwrap();
    assert_eq!(
        (
            stats.frames_pushed,
            stats.tokens_issued.len(),
            stats.open_sockets
        ),
        (5, 2, 0)
    );
}

#[tokio::test]
async fn control_routes_can_be_turned_off() {
    let config = aviso_demo::DemoConfig {
        event_interval: None,
        control_routes: false,
        ..Default::default()
    };
    let server = start_with(config).await;
    let response = http()
        .get(format!("{}/__demo/stats", server.http_url()))
        .send()
        .await;
    assert_eq!(response.unwrap().status(), 404);
}
