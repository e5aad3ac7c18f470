"""How the `s3why` process ends after a batch (`simulate --cases`): at once, without freeing what it built.

Freeing the millions of small values a batch holds (a 37 MB cases file, its results) one by one at exit costs
about as much CPU as reading them did; the operating system takes the memory back at once. mypy's command
exits the same way. Only the command's own process does this (`python -m bot`, the console script): a caller
of `bot.cli.main` in its own process (a test) gets a normal return.
"""

from __future__ import annotations

import os
import sys

_standalone = False


def mark_standalone() -> None:
    """Called by the command line when this process is the `s3why` command itself."""
    global _standalone
    _standalone = True


def end_batch(code: int) -> None:
    """In the `s3why` command's own process: flush standard output and error, and exit with `code` now."""
    if not _standalone:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
