#!/usr/bin/env python
"""Start the Django test backend (seeds 000, 001, 002) under daphne on 127.0.0.1.

    python serve.py PORT [--redis-port N | --redis-url URL] [--no-seed] [--data-dir DIR]
                         [--ping-interval S] [--ping-timeout S]

A fresh sqlite database in a temp dir (removed on exit) unless --data-dir; migrations applied in
process; users admin/admin (staff) and cliente/cliente seeded; daphne patched for the ws_404 mode
(testctl/daphne_patch.py). PORT 0 picks a free port. Prints "READY <port>" once listening.
"""

import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--redis-port", type=int)
    parser.add_argument("--redis-url")
    parser.add_argument("--no-seed", action="store_true", help="do not create admin/cliente")
    parser.add_argument("--data-dir", help="keep the sqlite file here (not deleted)")
    parser.add_argument("--ping-interval", type=float, default=20, help="daphne's (default 20 s)")
    parser.add_argument("--ping-timeout", type=float, default=30, help="daphne's (default 30 s)")
    args = parser.parse_args()

    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    elif args.redis_port:
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{args.redis_port}/0"
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="aviso-django-")
    os.makedirs(data_dir, exist_ok=True)
    os.environ["AVISO_DB"] = os.path.join(data_dir, "db.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aviso_backend.settings")
    sys.path.insert(0, HERE)

    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        if not args.no_seed:
            call_command("seed_users", verbosity=0)

        from testctl import daphne_patch

        daphne_patch.install()

        # Import order matters: daphne.server installs the asyncio Twisted reactor on import.
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from aviso_backend.asgi import application

        server = None

        def ready():
            port = server.listening_addresses[0][1] if server.listening_addresses else args.port
            print(f"READY {port}", flush=True)

        server = Server(
            application=application,
            endpoints=build_endpoint_description_strings(host="127.0.0.1", port=args.port),
            ping_interval=args.ping_interval,
            ping_timeout=args.ping_timeout,
            ready_callable=ready,
            verbosity=0,
        )
        server.run()
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
