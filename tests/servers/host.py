"""Runs the seed servers for tests that run under Wine (scripts/windows test).

Wine starts a Linux program from a Windows one, but gives it no process handle: the test
could not read its READY line, wait for it or stop it. So the Windows test binaries ask
this helper, on the Linux side of the same loopback, to do it for them (seed_servers.rs,
`Host`). One JSON request per connection, one JSON line back:

  {"op": "spawn", "program", "args", "env", "cwd", "log"} -> {"id"}   stdout lines go to log
  {"op": "ready", "id", "timeout"}                          -> {"port"} once it printed READY
  {"op": "stop", "id"}                                      -> {}  SIGTERM, SIGKILL after 5 s
  {"op": "run", "program", "args", "env", "cwd"}            -> {"status", "stdout", "stderr"}

Windows paths in any string (C:\\..., or a Unix path joined with backslashes) become the
Unix paths Wine maps them to. Prints "READY <port>" once listening; ends on SIGTERM.
"""

import json
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time

PREFIX = os.environ.get("WINEPREFIX", "")
DRIVE = re.compile(r"^([A-Za-z]):[\\/]")

procs = {}
lock = threading.Lock()
next_id = [0]


def unix_path(s):
    """C:\\x\\y -> $WINEPREFIX/dosdevices/c:/x/y; /a\\b -> /a/b; anything else unchanged."""
    if not isinstance(s, str):
        return s
    m = DRIVE.match(s)
    if m:
        drive = m.group(1).lower()
        rest = s[3:].replace("\\", "/")
        if drive == "z":
            return "/" + rest
        return f"{PREFIX}/dosdevices/{drive}:/{rest}"
    if s.startswith("/") and "\\" in s:
        return s.replace("\\", "/")
    return s


def environment(extra):
    env = dict(os.environ)
    for k, v in (extra or {}).items():
        env[k] = unix_path(v)
    return env


class Proc:
    def __init__(self, req):
        self.port = None
        self.ready = threading.Event()
        log = unix_path(req["log"])
        self.child = subprocess.Popen(
            [unix_path(req["program"])] + [unix_path(a) for a in req.get("args", [])],
            env=environment(req.get("env")),
            cwd=unix_path(req.get("cwd")) or None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=open(log, "ab"),
            start_new_session=True,
        )
        threading.Thread(target=self.pump, args=(log,), daemon=True).start()

    def pump(self, log):
        for raw in self.child.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("READY "):
                try:
                    self.port = int(line.split()[1])
                except ValueError:
                    self.port = 0
                self.ready.set()
            with open(log, "a") as f:
                f.write(line + "\n")

    def stop(self):
        if self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(5)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()


def handle(req):
    op = req.get("op")
    if op == "spawn":
        proc = Proc(req)
        with lock:
            next_id[0] += 1
            procs[next_id[0]] = proc
            return {"id": next_id[0]}
    if op == "ready":
        proc = procs[req["id"]]
        if proc.ready.wait(req.get("timeout", 60)):
            return {"port": proc.port}
        return {"error": "no READY line"}
    if op == "stop":
        proc = procs.pop(req["id"], None)
        if proc:
            proc.stop()
        return {}
    if op == "run":
        out = subprocess.run(
            [unix_path(req["program"])] + [unix_path(a) for a in req.get("args", [])],
            env=environment(req.get("env")),
            cwd=unix_path(req.get("cwd")) or None,
            capture_output=True,
            timeout=120,
        )
        return {
            "status": out.returncode,
            "stdout": out.stdout.decode("utf-8", "replace"),
            "stderr": out.stderr.decode("utf-8", "replace"),
        }
    return {"error": f"unknown op {op!r}"}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            answer = handle(json.loads(self.rfile.readline()))
        except Exception as e:  # the test prints it: a failing start must say why
            answer = {"error": f"{type(e).__name__}: {e}"}
        self.wfile.write((json.dumps(answer) + "\n").encode())


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Handler)

    def shutdown(*_):
        for proc in list(procs.values()):
            proc.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
