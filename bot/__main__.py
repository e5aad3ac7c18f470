"""`python -m bot` is the `s3why` command."""

from bot.cli import main

raise SystemExit(main())
