"""Smoke clients for the Django (seeds 000-002) and furniture (seed 004) test backends.

    python checks.py django http://127.0.0.1:PORT
    python checks.py furniture ws://127.0.0.1:PORT
    python checks.py furniture-greeting ws://127.0.0.1:PORT    (a server started with --greeting)

Prints one "PASS name" or "FAIL name: detail" line per check; smoke.sh counts them. A check group
that crashes prints a FAIL line and the next group still runs.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import traceback
import urllib.error
import urllib.request
from datetime import datetime

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

HERE = os.path.dirname(os.path.abspath(__file__))
failures = 0


def check(name, ok, detail=""):
    global failures
    if not ok:
        failures += 1
    print(f"PASS {name}" if ok else f"FAIL {name}: {detail}", flush=True)
    return ok


def http(base, method, path, body=None, token=None, headers=None):
    """(status, headers, parsed JSON or None); never raises for HTTP errors."""
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(base + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, resp.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return err.code, err.headers, parsed


async def recv_json(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def handshake_status(url, origin):
    """101 when the server accepted, else the HTTP status it answered."""
    try:
        async with connect(url, origin=origin, open_timeout=5):
            return 101
    except InvalidStatus as err:
        return err.response.status_code


async def run_groups(groups):
    for group in groups:
        try:
            await group()
        except Exception:
            check(f"{group.__name__} ran to the end", False, traceback.format_exc(limit=3).strip())


# ---------------------------------------------------------------------------------------------------
def django_checks(base):
    ws_base = "ws" + base[len("http"):]
    origin = base  # AllowedHostsOriginValidator: the Origin must be an allowed host
    tokens = {}

    def login(user, password=None):
        status, _, body = http(base, "POST", "/api/token/", {"username": user, "password": password or user})
        return status, body

    async def seed_000_auth():
        status, body = login("admin")
        check("000 token for admin/admin", status == 200 and {"access", "refresh"} <= set(body or {}), body)
        tokens["admin"] = body["access"]
        tokens["admin_refresh"] = body["refresh"]
        status, body = login("cliente")
        tokens["cliente"] = body["access"]
        status, body = login("admin", "wrong")
        check("000 wrong password -> 401", status == 401, status)
        path = "/ws/api/admin/notificaciones/"
        check("000 ws without token -> 403", await handshake_status(ws_base + path, origin) == 403)
        check("000 ws garbage token -> 403", await handshake_status(ws_base + path + "?token=x.y.z", origin) == 403)
        check("000 ws non-staff -> 403",
              await handshake_status(f"{ws_base}{path}?token={tokens['cliente']}", origin) == 403)
        check("000 ws without Origin -> 403",
              await handshake_status(f"{ws_base}{path}?token={tokens['admin']}", None) == 403)
        check("000 ws foreign Origin -> 403",
              await handshake_status(f"{ws_base}{path}?token={tokens['admin']}", "http://evil.example") == 403)

    async def seed_000_push_and_rest():
        http(base, "POST", "/__test/reset/")
        url = f"{ws_base}/ws/api/admin/notificaciones/?token={tokens['admin']}"
        async with connect(url, origin=origin) as ws:
            status, _, body = http(base, "POST", "/__test/smartsales/notifications/", {"username": "admin", "count": 3})
            ids = body["ids"]
            frames = [await recv_json(ws) for _ in ids]
        check("000 emit returns 3 ids", status == 200 and len(ids) == 3, body)
        check("000 frames arrive in order with the emitted ids", [f["id"] for f in frames] == ids, frames)
        keys = {"id", "tipo", "titulo", "mensaje", "url", "datos", "creada", "leida"}
        check("000 frame is a bare notification object", set(frames[0]) == keys and frames[0]["leida"] is False,
              frames[0])
        api = "/api/admin/notificaciones/"
        status, hdrs, page = http(base, "GET", api, token=tokens["admin"])
        check("000 REST list: count 3, ascending ids, next null",
              status == 200 and page["count"] == 3 and [n["id"] for n in page["results"]] == ids
              and page["next"] is None, page)
        check("000 REST objects equal the frames", page["results"] == frames, (page["results"], frames))
        etag = hdrs.get("ETag")
        status, _, _ = http(base, "GET", api, token=tokens["admin"], headers={"If-None-Match": etag})
        check("000 If-None-Match -> 304", etag and status == 304, (etag, status))
        status, _, page = http(base, "GET", api + "?limit=2", token=tokens["admin"])
        nxt = page["next"] or ""
        check("000 limit=2 gives a next URL", status == 200 and len(page["results"]) == 2
              and nxt.startswith(base) and f"after={ids[1]}" in nxt, page)
        status, _, page2 = http(base, "GET", nxt[len(base):], token=tokens["admin"])
        check("000 next page holds the rest", [n["id"] for n in page2["results"]] == ids[2:] and page2["next"] is None,
              page2)
        status, _, page = http(base, "GET", f"{api}?after={ids[0]}", token=tokens["admin"])
        check("000 after= filters by id", [n["id"] for n in page["results"]] == ids[1:], page)
        status, _, body = http(base, "POST", f"{api}{ids[0]}/marcar-leida/", token=tokens["admin"])
        check("000 mark-read", status == 200 and body == {"id": ids[0], "leida": True}, (status, body))
        status, _, _ = http(base, "POST", f"{api}999999/marcar-leida/", token=tokens["admin"])
        check("000 mark-read unknown -> 404", status == 404, status)
        status, _, _ = http(base, "POST", f"{api}{ids[1]}/marcar-leida/", token=tokens["cliente"])
        check("000 mark-read of another user's -> 404", status == 404, status)
        status, _, body = http(base, "GET", api + "no-leidas/", token=tokens["admin"])
        check("000 unread count 2", body == {"count": 2}, body)
        status, _, page = http(base, "GET", api + "?leida=false", token=tokens["admin"])
        check("000 leida=false lists the 2 unread", [n["id"] for n in page["results"]] == ids[1:], page)
        status, _, body = http(base, "POST", api + "marcar-todas-leidas/", token=tokens["admin"])
        check("000 mark-all", body == {"marcadas": 2}, body)
        status, _, dump = http(base, "GET", "/__test/smartsales/notifications/?username=admin")
        check("000 server-side dump: all read", [n["leida"] for n in dump["results"]] == [True] * 3, dump)
        status, _, _ = http(base, "GET", api)
        check("000 REST without token -> 401", status == 401, status)

    def sse_events(token, count, last_event_id=None, then=None):
        """Opens the SSE stream, runs `then` once it is open, returns the first `count`
        `message` events as (id, data) pairs (http.client: one streaming GET)."""
        import http.client
        from urllib.parse import urlsplit

        host = urlsplit(base)
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        conn.request("GET", f"/api/admin/notificaciones/eventos/?token={token}", headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            conn.close()
            return resp.status, []
        if then:
            then()
        events, event = [], {}
        while len(events) < count:
            line = resp.fp.readline().decode().rstrip("\n")
            if not line:
                if event.get("event") == "message":
                    events.append((event.get("id"), json.loads(event["data"])))
                event = {}
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                event[field] = value[1:] if value.startswith(" ") else value
        conn.close()
        return 200, events

    async def seed_000_sse():
        http(base, "POST", "/__test/reset/")
        status, _ = sse_events("x.y.z", 0)
        check("000 sse garbage token -> 401", status == 401, status)
        status, body = login("cliente")
        status, _ = sse_events(body["access"], 0)
        check("000 sse non-staff -> 403", status == 403, status)
        emit = lambda: http(base, "POST", "/__test/smartsales/notifications/", {"username": "admin", "count": 3})
        status, events = await asyncio.to_thread(sse_events, tokens["admin"], 3, None, emit)
        ids = [data["id"] for _, data in events]
        check("000 sse: 3 message events, the frames' objects", status == 200 and len(ids) == 3
              and set(events[0][1]) == {"id", "tipo", "titulo", "mensaje", "url", "datos", "creada", "leida"},
              events)
        check("000 sse ids are channel:n", all(i and i.startswith("admin-notificaciones-") for i, _ in events), events)
        status, replay = await asyncio.to_thread(sse_events, tokens["admin"], 2, events[0][0])
        check("000 sse Last-Event-ID replays what came after it",
              [data["id"] for _, data in replay] == ids[1:], (ids, replay))

    async def seed_000_tokens():
        api = "/api/admin/notificaciones/no-leidas/"
        status, _, body = http(base, "POST", "/api/token/refresh/", {"refresh": tokens["admin_refresh"]})
        check("000 refresh gives an access token", status == 200 and "access" in body, (status, body))
        old_access = tokens["admin"]
        http(base, "POST", "/__test/tokens/expire/")
        status, _, body = http(base, "GET", api, token=old_access)
        check("000 expired access -> 401 token_not_valid", status == 401 and body.get("code") == "token_not_valid",
              (status, body))
        check("000 expired access on ws -> 403", await handshake_status(
            f"{ws_base}/ws/api/admin/notificaciones/?token={old_access}", origin) == 403)
        status, _, body = http(base, "POST", "/api/token/refresh/", {"refresh": tokens["admin_refresh"]})
        check("000 refresh still works after expiry", status == 200, (status, body))
        fresh = body["access"]
        status, _, _ = http(base, "GET", api, token=fresh)
        check("000 refreshed access works", status == 200, status)
        check("000 refreshed access opens the ws", await handshake_status(
            f"{ws_base}/ws/api/admin/notificaciones/?token={fresh}", origin) == 101)
        http(base, "POST", "/__test/tokens/revoke/", {"user_id": 1})
        status, _, body = http(base, "POST", "/api/token/refresh/", {"refresh": tokens["admin_refresh"]})
        check("000 revoked refresh -> 401 token_not_valid", status == 401 and body.get("code") == "token_not_valid",
              (status, body))
        status, body = login("admin")
        tokens["admin"], tokens["admin_refresh"] = body["access"], body["refresh"]
        status, _, _ = http(base, "GET", api, token=tokens["admin"])
        check("000 a new login works after revocation", status == 200, status)
        status, _, stats = http(base, "GET", "/__test/stats/")
        # (counters since the /__test/reset/ in the previous group)
        check("000 stats count refreshes and handshakes",
              stats["token_refresh"] == {"total": 3, "ok": 2, "failed": 1}
              and stats["handshakes"]["accepted"] == 2 and stats["handshakes"]["rejected"] == 1, stats)

    async def server_drop():
        url = f"{ws_base}/ws/api/admin/notificaciones/?token={tokens['admin']}"
        async with connect(url, origin=origin) as ws:
            status, _, body = http(base, "POST", "/__test/ws/drop/", {"code": 4000})
            try:
                await asyncio.wait_for(ws.recv(), 5)
                code = None
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
        check("drop control closes open sockets with the code asked", body["dropped"] >= 1 and code == 4000,
              (body, code))

    async def seed_001():
        http(base, "POST", "/__test/wearable/notificaciones/", {"consumidor_id": 7, "count": 2, "tipo": "recordatorio"})
        async with connect(f"{ws_base}/ws/notificaciones/7/", origin=origin) as ws:
            first = await recv_json(ws)
            check("001 initial_notifications with 2 items",
                  first.get("type") == "initial_notifications" and len(first["notifications"]) == 2, first)
            keys = {"id", "tipo", "contenido", "fecha_envio", "leida", "deseo_id"}
            check("001 notification keys", set(first["notifications"][0]) == keys, first["notifications"][0])
            await ws.send(json.dumps({"type": "ping"}))
            check("001 ping -> pong", await recv_json(ws) == {"type": "pong"})
            _, _, body = http(base, "POST", "/__test/wearable/notificaciones/",
                              {"consumidor_id": 7, "tipo": "alerta", "deseo_id": 5})
            pushed = await recv_json(ws)
            check("001 signal pushes new_notification",
                  pushed.get("type") == "new_notification" and pushed["notification"]["id"] == body["ids"][0]
                  and pushed["notification"]["deseo_id"] == 5, pushed)
            nid = body["ids"][0]
            await ws.send(json.dumps({"type": "mark_read", "notification_id": nid}))
            check("001 mark_read -> marked_read", await recv_json(ws) == {"type": "marked_read", "notification_id": nid})
            await ws.send(json.dumps({"type": "mark_read", "notification_id": 987654}))
            err = await recv_json(ws)
            check("001 mark_read unknown -> error", err.get("type") == "error" and "message" in err, err)
        _, _, dump = http(base, "GET", "/__test/wearable/notificaciones/?consumidor_id=7")
        check("001 dump shows the read state", {n["id"]: n["leida"] for n in dump["results"]}.get(nid) is True, dump)
        status, _, body = http(base, "GET", "/api/notificaciones/?consumidor_id=7", token="stale.bogus.token")
        check("001 REST list (open; a bad token does no harm)",
              status == 200 and body["count"] == 3 and [n["id"] for n in body["results"]] == sorted(
                  n["id"] for n in body["results"]), (status, body))
        check("001 ws with a valid token also accepted", await handshake_status(
            f"{ws_base}/ws/notificaciones/7/?token={tokens['admin']}", origin) == 101)

    async def seed_002():
        http(base, "POST", "/__test/config/", {"ws_404": False, "dashboard_reject": "close_before_accept"})
        path = "/ws/sensor_data/22/"
        check("002 no token -> 403 (close(4001) before accept)", await handshake_status(ws_base + path, origin) == 403)
        check("002 bad token -> 403", await handshake_status(ws_base + path + "?token=abc", origin) == 403)
        token = tokens["admin"]
        async with connect(f"{ws_base}{path}?token={token}", origin=origin) as sensor, \
                connect(f"{ws_base}/ws/heart_rate_today/22/?token={token}", origin=origin) as hr_today, \
                connect(f"{ws_base}/ws/heart_rate_stats/22/?token={token}", origin=origin) as hr_stats:
            first = await recv_json(sensor)
            check("002 initial sensor_update (list)", first.get("type") == "sensor_update"
                  and isinstance(first["data"], list), first)
            t0, s0 = await recv_json(hr_today), await recv_json(hr_stats)
            check("002 initial heart-rate frames", t0["type"] == "heart_rate_update"
                  and s0["type"] == "heart_rate_stats_update", (t0, s0))
            await sensor.send(json.dumps({"type": "ping"}))
            check("002 ping -> pong", await recv_json(sensor) == {"type": "pong"})
            http(base, "POST", "/__test/dashboard/push/", {"channel": "sensor_data", "consumidor_id": 22})
            live = await recv_json(sensor)
            check("002 pushed sensor_update (one reading)", live.get("type") == "sensor_update"
                  and isinstance(live["data"], dict) and "accel_x" in live["data"], live)
            await sensor.send(json.dumps({"type": "request_data"}))
            again = await recv_json(sensor)
            check("002 request_data resends the list", again["type"] == "sensor_update" and len(again["data"]) == 1,
                  again)
            http(base, "POST", "/__test/dashboard/push/", {"channel": "heart_rate_today", "consumidor_id": 22, "bpm": 88})
            t1, s1 = await recv_json(hr_today), await recv_json(hr_stats)
            check("002 heart-rate push reaches both streams", t1["data"]["actual"] == 88
                  and s1["data"]["maximo"] == 88, (t1, s1))
        for channel, kind in (("desires_tracking", "desires_tracking_update"), ("desires_stats", "desires_stats_update")):
            async with connect(f"{ws_base}/ws/{channel}/22/?token={token}", origin=origin) as ws:
                frame = await recv_json(ws)
                check(f"002 {channel} initial {kind}", frame.get("type") == kind, frame)
        status, _, body = http(base, "GET", "/api/dashboard/heart_rate_stats/22/", token=token)
        check("002 REST snapshot = WS frame shape", status == 200 and body["type"] == "heart_rate_stats_update"
              and body["data"]["total_lecturas"] == 1, (status, body))
        status, _, _ = http(base, "GET", "/api/dashboard/heart_rate_stats/22/")
        check("002 REST without token -> 401", status == 401, status)

        http(base, "POST", "/__test/config/", {"dashboard_reject": "accept_then_close"})
        try:
            async with connect(ws_base + path, origin=origin) as ws:
                await asyncio.wait_for(ws.recv(), 5)
            code = None
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        except InvalidStatus as err:
            code = err.response.status_code
        check("002 accept_then_close variant -> close 4001", code == 4001, code)
        http(base, "POST", "/__test/config/", {"dashboard_reject": "close_before_accept"})

        http(base, "POST", "/__test/config/", {"ws_404": True})
        check("002 ws_404 mode -> HTTP 404 at the handshake",
              await handshake_status(f"{ws_base}{path}?token={token}", origin) == 404)
        check("ws_404 mode covers every ws path", await handshake_status(
            f"{ws_base}/ws/api/admin/notificaciones/?token={token}", origin) == 404)
        status, _, _ = http(base, "GET", "/api/dashboard/sensor_data/22/", token=token)
        check("ws_404 mode leaves REST working", status == 200, status)
        http(base, "POST", "/__test/config/", {"ws_404": False})
        check("ws_404 off -> accepted again", await handshake_status(f"{ws_base}{path}?token={token}", origin) == 101)
        check("daphne: unrouted ws path -> 500", await handshake_status(ws_base + "/ws/nope/", origin) == 500)

    async def seed_000_list_order():
        """list_order = "desc": newest first, next = ?before=; "asc" (the default) as before."""
        api = "/api/admin/notificaciones/"
        admin = tokens["admin"]
        http(base, "POST", "/__test/reset/")
        _, _, config = http(base, "GET", "/__test/config/")
        check("000 list_order defaults to asc", config.get("list_order") == "asc", config)
        status, _, body = http(base, "POST", "/__test/config/", {"list_order": "sideways"})
        check("000 list_order: an unknown value -> 400", status == 400, (status, body))
        status, _, config = http(base, "POST", "/__test/config/", {"list_order": "desc"})
        check("000 list_order desc set through /__test/config/", status == 200 and config["list_order"] == "desc", config)
        _, _, body = http(base, "POST", "/__test/smartsales/notifications/", {"username": "admin", "count": 5})
        ids = body["ids"]
        newest = sorted(ids, reverse=True)
        status, hdrs, page = http(base, "GET", api, token=admin)
        check("000 desc: newest first, count 5, next null",
              status == 200 and [n["id"] for n in page["results"]] == newest and page["count"] == 5
              and page["next"] is None, page)
        etag = hdrs.get("ETag")
        status, _, _ = http(base, "GET", api, token=admin, headers={"If-None-Match": etag})
        check("000 desc: If-None-Match -> 304 while nothing changed", etag and status == 304, (etag, status))
        status, _, page = http(base, "GET", api + "?limit=2", token=admin)
        nxt = page["next"] or ""
        check("000 desc: limit=2 -> the 2 newest, next = ?before=<last id>",
              [n["id"] for n in page["results"]] == newest[:2] and page["count"] == 5
              and nxt.startswith(base) and f"before={newest[1]}" in nxt and "after=" not in nxt, page)
        status, _, page2 = http(base, "GET", nxt[len(base):], token=admin)
        status, _, page3 = http(base, "GET", (page2["next"] or "")[len(base):], token=admin)
        check("000 desc: next pages walk to the oldest",
              [n["id"] for n in page2["results"]] == newest[2:4] and page2["count"] == 3
              and [n["id"] for n in page3["results"]] == newest[4:] and page3["next"] is None, (page2, page3))
        status, _, page = http(base, "GET", f"{api}?after={ids[1]}&limit=2", token=admin)
        nxt = page["next"] or ""
        status, _, page2 = http(base, "GET", nxt[len(base):], token=admin)
        check("000 desc: after= still filters id > after (and stays in next)",
              [n["id"] for n in page["results"]] == newest[:2] and page["count"] == 3 and f"after={ids[1]}" in nxt
              and [n["id"] for n in page2["results"]] == [ids[2]] and page2["next"] is None, (page, page2))
        status, _, _ = http(base, "GET", api + "?before=x", token=admin)
        check("000 desc: a bad before -> 400", status == 400, status)
        http(base, "POST", "/__test/smartsales/notifications/", {"username": "admin"})
        status, hdrs, page = http(base, "GET", api, token=admin, headers={"If-None-Match": etag})
        check("000 desc: a new notification changes the ETag and leads the list",
              status == 200 and hdrs.get("ETag") != etag and page["results"][0]["id"] > newest[0], (status, page))
        http(base, "POST", "/__test/reset/")
        _, _, config = http(base, "GET", "/__test/config/")
        _, _, body = http(base, "POST", "/__test/smartsales/notifications/", {"username": "admin", "count": 3})
        ids = body["ids"]
        status, _, page = http(base, "GET", f"{api}?limit=2&before={ids[1]}", token=admin)
        check("000 reset -> asc again; before= ignored in asc",
              config["list_order"] == "asc" and [n["id"] for n in page["results"]] == ids[:2]
              and f"after={ids[1]}" in (page["next"] or ""), (config, page))

    return [seed_000_auth, seed_000_push_and_rest, seed_000_tokens, seed_000_sse, server_drop, seed_001, seed_002,
            seed_000_list_order]


# ---------------------------------------------------------------------------------------------------
def furniture_checks(url):
    client = os.path.join(HERE, "..", "furniture", "websocket_client.py")
    http_base = "http" + url[len("ws"):]

    async def broadcast():
        status, _, body = http(http_base, "GET", "/health")
        check("004 /health", status == 200 and body["status"] == "ok", (status, body))
        async with connect(url) as a, connect(url) as b:
            env = dict(os.environ, WEBSOCKET_URL=url)
            proc = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, client, "created", "--id", "abc123", "--nombre", "Silla Nórdica",
                 "--altura", "90", "--ancho", "45", "--material", "pino", "--autor", "Ana"],
                env=env, capture_output=True, text=True, timeout=20,
            )
            check("004 websocket_client.py created exits 0", proc.returncode == 0, proc.stderr)
            fa, fb = await recv_json(a), await recv_json(b)
            expected = {"furniture_id": "abc123", "nombre": "Silla Nórdica", "descripcion": "Mesa elegante de comedor",
                        "altura": 90, "ancho": 45, "material": "pino", "autor_username": "Ana"}
            check("004 every consumer gets {type, data, timestamp}",
                  fa == fb and fa["type"] == "furniture_created" and fa["data"] == expected
                  and set(fa) == {"type", "data", "timestamp"}, (fa, fb))
            frame = {"type": "furniture_deleted", "data": dict(expected, nombre="X"), "timestamp": "2025-01-01T00:00:00Z"}
            await a.send(json.dumps(frame))
            check("004 relayed to the others unchanged", await recv_json(b) == frame)
            try:
                echoed = await asyncio.wait_for(a.recv(), 0.5)
            except asyncio.TimeoutError:
                echoed = None
            check("004 not echoed to the sender", echoed is None, echoed)
            await a.send(json.dumps({"type": "furniture_sold", "data": {}}))
            err = await recv_json(a)
            check("004 unknown type -> error to the sender", err.get("type") == "error", err)
        sys.path.insert(0, os.path.dirname(client))
        os.environ["WEBSOCKET_URL"] = "ws://127.0.0.1:9"
        import websocket_client

        check("004 producer returns False when the server is down",
              await asyncio.to_thread(websocket_client.notify_furniture_updated,
                                      "i", "n", "d", 1, 2, "m", "a") is False)

    async def no_greeting():
        async with connect(url) as ws:
            try:
                first = await asyncio.wait_for(ws.recv(), 0.5)
            except asyncio.TimeoutError:
                first = None
        check("004 no greeting without --greeting", first is None, first)

    return [broadcast, no_greeting]


def furniture_greeting_checks(url):
    """A server started with --greeting."""
    client = os.path.join(HERE, "..", "furniture", "websocket_client.py")

    def is_greeting(frame):
        try:
            stamp = datetime.fromisoformat(frame["timestamp"])
        except (KeyError, TypeError, ValueError):
            return False
        return (set(frame) == {"type", "message", "client_id", "timestamp"}
                and frame["type"] == "connection_established"
                and frame["message"] == "Conectado al servidor de muebles"
                and re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{19}", frame["client_id"]) is not None
                and stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0)

    async def greeting():
        async with connect(url) as a:
            ga = await recv_json(a)
            check("004 --greeting: connection_established first", is_greeting(ga), ga)
            async with connect(url) as b:
                gb = await recv_json(b)
                try:
                    leaked = await asyncio.wait_for(a.recv(), 0.5)
                except asyncio.TimeoutError:
                    leaked = None
                check("004 --greeting: to the new connection only, a fresh client_id",
                      is_greeting(gb) and gb["client_id"] != ga["client_id"] and leaked is None, (ga, gb, leaked))
                env = dict(os.environ, WEBSOCKET_URL=url)
                proc = await asyncio.to_thread(
                    subprocess.run,
                    [sys.executable, client, "updated", "--id", "g1", "--nombre", "Mesa"],
                    env=env, capture_output=True, text=True, timeout=20,
                )
                fa, fb = await recv_json(a), await recv_json(b)
                check("004 --greeting: the seed's producer still works, frames relayed unchanged",
                      proc.returncode == 0 and fa == fb and fa["type"] == "furniture_updated"
                      and fa["data"]["furniture_id"] == "g1", (proc.returncode, proc.stderr, fa, fb))
                await a.send(json.dumps({"type": "furniture_sold"}))
                err = await recv_json(a)
                check("004 --greeting: unknown type -> error to the sender", err.get("type") == "error", err)

    return [greeting]


def main():
    kind, target = sys.argv[1], sys.argv[2].rstrip("/")
    groups = {"django": django_checks, "furniture": furniture_checks,
              "furniture-greeting": furniture_greeting_checks}[kind](target)
    asyncio.run(run_groups(groups))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
