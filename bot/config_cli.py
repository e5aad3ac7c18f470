"""`s3why config check [FILE]`: validate the configuration and print it as s3why will use it (never a secret)."""

from __future__ import annotations

import argparse
import json
import os
import sys

import yaml

from bot.config import ConfigError, effective, load_config
from bot.errors import UsageError


def run_config_check(args: argparse.Namespace) -> int:
    """Exit 0 printing the effective configuration; exit 2 with one ``FILE:LINE: reason`` line per error."""
    path = args.file or os.environ.get("S3WHY_CONFIG")
    if not path:
        raise UsageError("no configuration to check: give FILE or set S3WHY_CONFIG")
    try:
        config = load_config(path)
    except ConfigError as exc:
        if args.json:
            issues = [{"file": exc.path, "line": i.line, "reason": i.reason} for i in exc.issues]
            sys.stdout.write(json.dumps({"valid": False, "errors": issues}, indent=2) + "\n")
        for line in exc.lines():
            print(line, file=sys.stderr)
        return 2
    shown = effective(config)
    if args.json:
        sys.stdout.write(json.dumps({"valid": True, "file": path, "configuration": shown}, indent=2) + "\n")
    else:
        sys.stdout.write(f"# {path}: valid; the configuration as s3why uses it (defaults filled in)\n")
        sys.stdout.write(yaml.safe_dump(shown, sort_keys=False, default_flow_style=False))
    return 0
