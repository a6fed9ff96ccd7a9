#!/usr/bin/env python3
"""After the whole suite: no token issued in the tests may appear in any file the tests
wrote (logs, captured stdout, config and data dirs). Prints what it checked; exits 1 on a
hit, naming the file but never the token."""
import os
import sys


def main() -> int:
    ledger, root = sys.argv[1], sys.argv[2]
    if not os.path.exists(ledger):
        print("token scan: no ledger: the suite issued no tokens?", file=sys.stderr)
        return 1
    with open(ledger, encoding="utf-8") as f:
        tokens = sorted({line.strip() for line in f if line.strip()})
    if not tokens:
        print("token scan: the ledger is empty", file=sys.stderr)
        return 1
    needles = [t.encode() for t in tokens]
    files = hits = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            files += 1
            for i, needle in enumerate(needles):
                if needle in data:
                    hits += 1
                    print(f"token scan: token #{i} found in {path}", file=sys.stderr)
    print(f"token scan: {len(tokens)} tokens, {files} files, {hits} hits")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
