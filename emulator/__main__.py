"""`python -m emulator` is the `send-api-emulator` command."""

from emulator.cli import main

raise SystemExit(main())
