"""In-process state of the test controls. daphne runs one process, so module globals are shared by
the event loop and Django's sync thread; a lock guards the counters."""

import copy
import math
import threading
import time
from collections import defaultdict

from django.conf import settings

_lock = threading.Lock()

DEFAULT_CONFIG = {
    "ws_404": False,
    "sse_stall": False,
    "sse_keepalive": None,
    "dashboard_reject": settings.DASHBOARD_REJECT,
    # Seed 000's REST list: "asc" (the contract: oldest first, next = ?after=) or "desc" (newest
    # first, next = ?before=; smartsales/views.py).
    "list_order": "asc",
    # Seed 002's REST snapshots: "typed" (/api/dashboard/<channel>/<id>/ -> {"type", "data"}) or
    # "bare_kebab" (/api/dashboard/<channel with - for _>/<id>/ -> the data alone; the other
    # spelling is 404), the reading of a server whose REST paths differ from its socket paths.
    "dashboard_rest": "typed",
}

# Bumped by /__test/sse/drop/: every open SSE stream started under an older value ends.
sse_generation = 0
REJECT_MODES = ("close_before_accept", "accept_then_close")
LIST_ORDERS = ("asc", "desc")
DASHBOARD_REST = ("typed", "bare_kebab")
config = dict(DEFAULT_CONFIG)

# Set by daphne_patch.install() (serve.py): daphne then honours the ASGI denial-response extension.
denial_response_supported = False

# Token cutoffs: epoch seconds; a token whose iat is below the cutoff is refused.
# "access" applies to access tokens only (simulated expiry), "all" to access and refresh (revocation).
# Keys: "*" (everyone) or a user id as text.
cutoffs = {"access": {}, "all": {}}

# Open WebSocket connections: id -> (path, async send callable), for /__test/ws/drop/.
open_sockets = {}

# Every access and refresh token the token views issued (GET /__test/tokens/issued/), so a test
# suite can check that none of them leaked into its logs or files. Never reset.
issued_tokens = []


def record_issued(body):
    """Remember the tokens in a token view's JSON answer."""
    with _lock:
        for key in ("access", "refresh"):
            token = body.get(key) if isinstance(body, dict) else None
            if isinstance(token, str) and token and token not in issued_tokens:
                issued_tokens.append(token)


def _new_stats():
    return {
        "handshakes": {"total": 0, "accepted": 0, "rejected": 0, "not_found": 0, "error": 0},
        "handshakes_by_path": defaultdict(lambda: defaultdict(int)),
        "server_closes": defaultdict(int),  # close code sent after accept -> count
        "token_obtain": {"total": 0, "ok": 0, "failed": 0},
        "token_refresh": {"total": 0, "ok": 0, "failed": 0},
        "rest": {"total": 0, "by_path": defaultdict(lambda: defaultdict(int))},
        # SSE requests (smartsales/sse.py) by outcome, and the Last-Event-ID header of each, in order.
        "sse": {"total": 0, "accepted": 0, "rejected": 0, "not_found": 0, "stalled": 0},
        "sse_last_event_ids": [],
    }


stats = _new_stats()


def count_handshake(path, outcome):
    """outcome: None for the attempt itself, else accepted/rejected/not_found/error."""
    with _lock:
        key = outcome or "total"
        stats["handshakes"][key] += 1
        stats["handshakes_by_path"][path][key] += 1


def count_sse(outcome, last_event_id=None):
    """outcome: None for the request itself (with its Last-Event-ID), else accepted/rejected/..."""
    with _lock:
        stats["sse"][outcome or "total"] += 1
        if outcome is None:
            stats["sse_last_event_ids"].append(last_event_id)


def count_server_close(code):
    with _lock:
        stats["server_closes"][str(code if code is not None else 1000)] += 1


def count_http(method, path, status):
    with _lock:
        if path.endswith("/api/token/"):
            bucket = stats["token_obtain"]
        elif path.endswith("/api/token/refresh/"):
            bucket = stats["token_refresh"]
        else:
            bucket = None
        if bucket is not None:
            bucket["total"] += 1
            bucket["ok" if status < 400 else "failed"] += 1
        stats["rest"]["total"] += 1
        entry = stats["rest"]["by_path"][f"{method} {path}"]
        entry["total"] += 1
        entry[str(status)] += 1


def snapshot():
    with _lock:
        out = copy.deepcopy(
            {k: v for k, v in stats.items() if k not in ("handshakes_by_path", "rest", "server_closes")}
        )
        out["handshakes_by_path"] = {p: dict(v) for p, v in stats["handshakes_by_path"].items()}
        out["server_closes"] = dict(stats["server_closes"])
        out["rest"] = {
            "total": stats["rest"]["total"],
            "by_path": {p: dict(v) for p, v in stats["rest"]["by_path"].items()},
        }
        out["ws_open"] = len(open_sockets)
        return out


def reset_stats():
    global stats
    with _lock:
        stats = _new_stats()


def next_cutoff(kind, user_id=None):
    """Set a cutoff at the next whole second and return (cutoff, seconds to wait until then).

    simplejwt's iat has whole-second resolution, so "issued before now" is only decidable at a second
    boundary: the caller waits until `cutoff` before answering, after which every token issued has
    iat >= cutoff and is accepted, and every token issued before the call has iat < cutoff.
    """
    now = time.time()
    cutoff = math.floor(now) + 1
    with _lock:
        cutoffs[kind]["*" if user_id is None else str(user_id)] = cutoff
    return cutoff, cutoff - now


def wait_for_pending_cutoff():
    """Seconds until the latest cutoff set by next_cutoff, if it is still ahead.

    A token issued between a /__test/tokens/expire|revoke/ call and its cutoff would carry the
    previous second as iat and be refused although it was issued after the call; the token
    views wait this long first (testctl.middleware), so it carries iat >= cutoff.
    """
    with _lock:
        latest = max(
            [c for kind in cutoffs.values() for c in kind.values()] or [0]
        )
    return max(0.0, latest - time.time())


def check_token(payload):
    from rest_framework_simplejwt.exceptions import TokenError

    iat = payload.get("iat") or 0
    uid = str(payload.get("user_id"))
    with _lock:
        revoked = max(cutoffs["all"].get("*", 0), cutoffs["all"].get(uid, 0))
        expired = max(cutoffs["access"].get("*", 0), cutoffs["access"].get(uid, 0))
    if iat < revoked:
        raise TokenError("Token is blacklisted")
    if payload.get("token_type") == "access" and iat < expired:
        raise TokenError("Token is expired")


def install_token_cutoff_check():
    """Make every simplejwt verification (REST auth, refresh, the WS middleware, seed 002's
    AccessToken(token)) also check the cutoffs, so the seeds' code stays as written."""
    from rest_framework_simplejwt.tokens import Token

    if getattr(Token.verify, "_aviso_cutoff", False):
        return
    original = Token.verify

    def verify(self, *args, **kwargs):
        original(self, *args, **kwargs)
        check_token(self.payload)

    verify._aviso_cutoff = True
    Token.verify = verify


def reset_all():
    with _lock:
        config.clear()
        config.update(DEFAULT_CONFIG)
        cutoffs["access"].clear()
        cutoffs["all"].clear()
    reset_stats()
