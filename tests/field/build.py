"""Compile a field case's `account:` section into an s3why snapshot: `python tests/field/build.py CASE.yaml`.

The compiler is bot/field/build.py (the test and `scripts/bench` share it); this is its command line."""

from __future__ import annotations

import sys

from bot.field.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main(["build", *sys.argv[1:]]))
