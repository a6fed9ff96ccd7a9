//! The SmartSales contract as a client sees it: tokens, handshakes, frames and the REST API.

mod support;

use std::time::Duration;

use aviso_demo::{DemoConfig, EmitSpec, MarkedRead, ReadCall, EVENT_KINDS};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn tokens_obtain_refresh_and_refusals() {
    let server = start().await;
    let url = |path: &str| format!("{}{path}", server.http_url());
    let wrong = http()
        .post(url("/api/token/"))
        .json(&json!({"username": "admin", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.json::<Value>().await.unwrap()["detail"].is_string());

    let (access, refresh) = login(&server, "admin").await;
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(&access)
        .unwrap()
        .claims;
    assert_eq!(claims["token_type"], "access");
    assert_eq!(claims["user_id"], 1);
    assert!(claims["jti"].is_string() && claims["iat"].is_u64());
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert!(
        (300..=301).contains(&lifetime),
        "5 min access lifetime, got {lifetime}"
    );

    let refreshed = http()
        .post(url("/api/token/refresh/"))
        .json(&json!({"refresh": refresh}));
    let body: Value = refreshed.send().await.unwrap().json().await.unwrap();
    let new_access = body["access"].as_str().unwrap();
    assert_eq!(
        get(&server, "/api/admin/notificaciones/no-leidas/", new_access)
            .await
            .0,
        200
    );

    // An access token is no refresh token, and garbage is nothing at all.
    for bad in [access.as_str(), "garbage"] {
        let response = http()
            .post(url("/api/token/refresh/"))
            .json(&json!({"refresh": bad}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "token_not_valid"
        );
    }
    let stats = server.control().stats();
    assert_eq!(
        (stats.token_obtain, stats.refresh_ok, stats.refresh_failed),
        (2, 1, 2)
    );
    assert_eq!(stats.tokens_issued.len(), 3);
    assert!(stats.tokens_issued.contains(&new_access.to_owned()));
}

#[tokio::test]
async fn handshake_refusals_answer_403() {
    let server = start().await;
    let (admin, _) = login(&server, "admin").await;
    let (cliente, _) = login(&server, "cliente").await;
    let origin = server.http_url();
    assert_eq!(
        connect_with(&server, None, Some(&origin)).await.err(),
        Some(403)
    );
    assert_eq!(
        connect_with(&server, Some("not.a.jwt"), Some(&origin))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        connect_with(&server, Some(&cliente), Some(&origin))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        connect_with(&server, Some(&admin), None).await.err(),
        Some(403)
    );
    let foreign = Some("https://evil.example");
    assert_eq!(
        connect_with(&server, Some(&admin), foreign).await.err(),
        Some(403)
    );
    assert!(
        connect_with(&server, Some(&admin), Some("http://localhost:1234"))
            .await
            .is_ok()
    );

    let plain = http()
        .get(format!("{origin}{}", aviso_demo::WS_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 404, "plain HTTP on the WebSocket route");
    let stats = server.control().stats();
    assert_eq!((stats.ws_refused, stats.ws_accepted), (5, 1));
}

#[tokio::test]
async fn emitted_events_arrive_as_bare_notification_frames() {
    let server = start().await;
    let control = server.control();
    let (access, _) = login(&server, "admin").await;
    let mut ws = connect(&server, &access).await;

    let ids = control.emit(
        1,
        &EmitSpec {
            tipo: Some("nueva_compra".into()),
            ..Default::default()
        },
    );
    let raw = match next_frame(&mut ws).await {
        Message::Text(text) => text.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(raw.starts_with(r#"{"id":1,"tipo":"nueva_compra","titulo":"Nueva Compra Realizada""#));
    let frame: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(ids, [1]);
    let stored = serde_json::to_value(&control.notifications()[0].notification).unwrap();
    assert_eq!(frame, stored);
    assert!(frame["mensaje"].as_str().unwrap().starts_with("Cliente "));
    assert_eq!(
        frame["url"],
        format!("/admin/orders/{}/", frame["datos"]["compra_id"])
    );
    assert!(frame["datos"]["total"].is_string() && frame["leida"] == false);
    let creada = frame["creada"].as_str().unwrap();
    // Python's isoformat(): microseconds (left out only when they are exactly zero), +00:00.
    assert!(
        creada.ends_with("+00:00") && [32, 25].contains(&creada.len()),
        "{creada}"
    );
    time::OffsetDateTime::parse(creada, &time::format_description::well_known::Rfc3339).unwrap();

    let hostile = EmitSpec {
        tipo: Some("desconocido".into()),
        titulo: Some("<img src=x onerror=alert(1)>".into()),
        url: Some("javascript:alert(1)".into()),
        datos: Some(json!([1, 2])),
        ..Default::default()
    };
    assert_eq!(control.emit(2, &hostile), [2, 3]);
    for id in [2, 3] {
        let frame = next_json(&mut ws).await;
        assert_eq!(
            (frame["id"].as_u64(), &frame["url"]),
            (Some(id), &json!("javascript:alert(1)"))
        );
        assert_eq!(frame["tipo"], "desconocido");
    }
    assert_eq!(
        control.emit(12, &EmitSpec::default()),
        (4..16).collect::<Vec<_>>()
    );
    for _ in 0..12 {
        let tipo = next_json(&mut ws).await["tipo"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(EVENT_KINDS.contains(&tipo.as_str()), "{tipo}");
    }
    assert_eq!(control.stats().frames_pushed, 15);
}

#[tokio::test]
async fn rest_list_pages_filters_and_answers_304() {
    let server = start_with(DemoConfig {
        event_interval: None,
        page_limit: 2,
        ..Default::default()
    })
    .await;
    let control = server.control();
    let (access, _) = login(&server, "admin").await;
    control.emit(5, &EmitSpec::default());
    let list = "/api/admin/notificaciones/";

    let (status, page) = get(&server, list, &access).await;
    assert_eq!((status, &page["count"]), (200, &json!(5)));
    let ids = |page: &Value| -> Vec<u64> {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ids(&page), [1, 2]);
    let next = page["next"].as_str().unwrap().to_owned();
    assert_eq!(next, format!("{}{list}?after=2&limit=2", server.http_url()));
    let page: Value = http()
        .get(&next)
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((ids(&page), &page["count"]), (vec![3, 4], &json!(3)));
    let (_, last) = get(&server, &format!("{list}?after=4&limit=10"), &access).await;
    assert_eq!((ids(&last), &last["next"]), (vec![5], &Value::Null));
    let (_, big) = get(&server, &format!("{list}?limit=9999"), &access).await;
    assert_eq!(ids(&big).len(), 5, "limit is capped, not refused");
    assert_eq!(
        get(&server, &format!("{list}?after=x"), &access).await.0,
        400
    );

    post(
        &server,
        "/api/admin/notificaciones/2/marcar-leida/",
        &access,
    )
    .await;
    let (_, unread) = get(&server, &format!("{list}?leida=false&limit=3"), &access).await;
    assert_eq!(ids(&unread), [1, 3, 4]);
    assert!(unread["next"]
        .as_str()
        .unwrap()
        .ends_with("?after=4&limit=3&leida=false"));

    let url = format!("{}{list}?after=0&limit=2", server.http_url());
    let first = http().get(&url).bearer_auth(&access).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let again = http()
        .get(&url)
        .bearer_auth(&access)
        .header("If-None-Match", &etag)
        .send();
    let again = again.await.unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    control.emit(1, &EmitSpec::default());
    let changed = http()
        .get(&url)
        .bearer_auth(&access)
        .header("If-None-Match", &etag)
        .send();
    assert_eq!(
        changed.await.unwrap().status(),
        200,
        "count changed, so the tag did"
    );

    assert_eq!(get(&server, list, "bad-token").await.0, 401);
    let (cliente, _) = login(&server, "cliente").await;
    assert_eq!(get(&server, list, &cliente).await.0, 403);
    let rest = control.stats().rest;
    assert_eq!((rest.list, rest.list_not_modified), (11, 1));
}

#[tokio::test]
async fn mark_read_mark_all_and_unread_count() {
    let server = start().await;
    let control = server.control();
    let (access, _) = login(&server, "admin").await;
    control.emit(4, &EmitSpec::default());
    let base = "/api/admin/notificaciones";

    let (status, body) = post(&server, &format!("{base}/2/marcar-leida/"), &access).await;
    assert_eq!((status, body), (200, json!({"id": 2, "leida": true})));
    assert_eq!(
        post(&server, &format!("{base}/99/marcar-leida/"), &access)
            .await
            .0,
        404
    );
    assert_eq!(
        post(&server, &format!("{base}/abc/marcar-leida/"), &access)
            .await
            .0,
        404
    );
    assert_eq!(
        get(&server, &format!("{base}/no-leidas/"), &access).await.1,
        json!({"count": 3})
    );
    let (status, body) = post(&server, &format!("{base}/marcar-todas-leidas/"), &access).await;
    assert_eq!((status, body), (200, json!({"marcadas": 3})));
    assert_eq!(
        get(&server, &format!("{base}/no-leidas/"), &access).await.1,
        json!({"count": 0})
    );
    assert_eq!(
        post(&server, &format!("{base}/marcar-todas-leidas/"), "")
            .await
            .0,
        401
    );

    let marked = control.stats().marked_read;
    let read = |id, call| MarkedRead { id, call };
    use ReadCall::*;
    assert_eq!(
        marked,
        [
            read(2, MarkRead),
            read(1, MarkAllRead),
            read(3, MarkAllRead),
            read(4, MarkAllRead)
        ]
    );
    assert!(control
        .notifications()
        .iter()
        .all(|n| n.notification.leida && n.user_id == 1));
    let rest = control.stats().rest;
    assert_eq!(
        (rest.mark_read, rest.mark_all_read, rest.unread_count),
        (3, 2, 2)
    );
}

#[tokio::test]
async fn server_pings_and_drops_a_peer_that_never_pongs() {
    let config = DemoConfig {
        event_interval: None,
        ping_interval: Duration::from_millis(100),
        ping_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let server = start_with(config).await;
    let (access, _) = login(&server, "admin").await;

    // Reading lets tungstenite answer the pings, so this socket stays up…
    let mut alive = connect(&server, &access).await;
    let reader = tokio::spawn(async move {
        for _ in 0..5 {
            match alive.next().await {
                Some(Ok(Message::Ping(_))) => {}
                other => panic!("expected a ping, got {other:?}"),
            }
        }
        alive
    });
    // …while this one is never read, so it never pongs.
    let _silent = connect(&server, &access).await;
    let control = server.control();
    eventually(|| control.stats().open_sockets == 1).await;
    let mut alive = tokio::time::timeout(WAIT, reader).await.unwrap().unwrap();
    assert_eq!(
        control.stats().open_sockets,
        1,
        "the ponging socket outlived the silent one"
    );
    alive.send(Message::Close(None)).await.unwrap();
    eventually(|| control.stats().open_sockets == 0).await;
}

#[tokio::test]
async fn generator_emits_sample_events_on_its_own() {
    let config = DemoConfig {
        event_interval: Some(Duration::from_millis(20)),
        ..Default::default()
    };
    let server = start_with(config).await;
    let (access, _) = login(&server, "admin").await;
    let mut ws = connect(&server, &access).await;
    let first = next_json(&mut ws).await["id"].as_u64().unwrap();
    let second = next_json(&mut ws).await["id"].as_u64().unwrap();
    assert!(second > first);
    let stored = server.control().notifications();
    assert!(stored
        .windows(2)
        .all(|w| w[1].notification.id == w[0].notification.id + 1));
    assert_eq!(stored[0].notification.id, 1);
}
