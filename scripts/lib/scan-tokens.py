#!/usr/bin/env python3
"""After the whole suite: no token issued in the tests may appear in any file the tests
wrote (logs, captured stdout, config and data dirs, dunst's history). Each token is looked
for as written and in the forms a leak would take: base64 (standard and URL-safe, at any
alignment inside a longer blob), URL-encoded, UTF-16 (both byte orders), and a JWT's
signature alone. Prints what it checked; exits 1 on a hit, naming the file and the form but
never the token.

    scan-tokens.py LEDGER ROOT [ROOT...] [--skip DIR]...
"""
import base64
import os
import subprocess
import sys
import tempfile
import urllib.parse

# Shorter pieces (a signature of a short test token) would match by chance.
MIN_NEEDLE = 16


def b64_forms(token: bytes):
    """The token's base64 as it shows inside any longer base64 text: encoded after 0, 1 or
    2 bytes of something else, less the characters that depend on those neighbours."""
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + token)
        # The first ceil(shift*4/3) characters carry the filler; the last 2 may carry padding
        # or the next byte.
        start = (shift * 4 + 2) // 3
        core = encoded[start:].rstrip(b"=")[:-2]
        if len(core) >= MIN_NEEDLE:
            yield f"base64+{shift}", core
            url = core.replace(b"+", b"-").replace(b"/", b"_")
            if url != core:
                yield f"base64url+{shift}", url


def forms(token: str):
    raw = token.encode()
    yield "as written", raw
    quoted = urllib.parse.quote(token, safe="").encode()
    if quoted != raw:
        yield "URL-encoded", quoted
    yield "UTF-16LE", token.encode("utf-16-le")
    yield "UTF-16BE", token.encode("utf-16-be")
    yield from b64_forms(raw)
    parts = token.split(".")
    if len(parts) == 3 and len(parts[2]) >= MIN_NEEDLE:
        yield "JWT signature", parts[2].encode()


def walk(roots, skip, ledger_path):
    """Every file under the roots, once, but those under a skipped folder and the ledger."""
    seen = set()
    for root in roots:
        for dirpath, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(dirpath, d)) not in skip]
            if os.path.realpath(dirpath) in skip:
                continue
            for name in names:
                path = os.path.realpath(os.path.join(dirpath, name))
                if path != ledger_path and path not in seen and os.path.isfile(path):
                    seen.add(path)
                    yield path


def main() -> int:
    args = sys.argv[1:]
    skip = []
    while "--skip" in args:
        i = args.index("--skip")
        skip.append(os.path.realpath(args[i + 1]))
        del args[i : i + 2]
    ledger, roots = args[0], args[1:]
    if not os.path.exists(ledger):
        print("token scan: no ledger: the suite issued no tokens?", file=sys.stderr)
        return 1
    with open(ledger, encoding="utf-8") as f:
        tokens = sorted({line.strip() for line in f if line.strip()})
    if not tokens:
        print("token scan: the ledger is empty", file=sys.stderr)
        return 1
    needles = [(i, form, needle) for i, t in enumerate(tokens) for form, needle in forms(t)]
    paths = list(walk(roots, skip, os.path.realpath(ledger)))
    # GNU grep -F looks for every form of every token in one pass over each file (thousands
    # of fixed strings; one Python search per needle took minutes); the few files it names
    # are then read here to say which token and form.
    flagged = []
    with tempfile.NamedTemporaryFile("wb", suffix=".patterns") as patterns:
        patterns.write(b"\n".join(sorted({n for _, _, n in needles})) + b"\n")
        patterns.flush()
        for start in range(0, len(paths), 500):
            run = subprocess.run(
                ["grep", "-a", "-F", "-l", "-f", patterns.name, "--", *paths[start : start + 500]],
                stdout=subprocess.PIPE,
                check=False,
            )
            if run.returncode > 1:
                print("token scan: grep failed", file=sys.stderr)
                return 1
            flagged += [p.decode() for p in run.stdout.splitlines()]
    hits = 0
    for path in flagged:
        with open(path, "rb") as f:
            data = f.read()
        for i, form, needle in needles:
            if needle in data:
                hits += 1
                print(f"token scan: token #{i} ({form}) found in {path}", file=sys.stderr)
    print(
        f"token scan: {len(tokens)} tokens in {len(needles)} forms, {len(paths)} files under "
        f"{len(roots)} roots, {hits} hits"
    )
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
