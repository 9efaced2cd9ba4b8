"""Persistence for offline development (`serve --state FILE`): the emulator's dynamic state in
SQLite, so messages, journal, uploads and clock survive a restart.

Three parts:

- `snapshot` (snapshot.py): the world's dynamic state as a plain, JSON-ready dict (uploaded
  bytes stay `bytes`), and back (`restore`). A snapshot only applies to the scenario it was
  taken with (`scenario_hash`); `restore` refuses any other and says why, and refuses a
  damaged one (StateError) without changing anything.
- `StateStore` (store.py): one SQLite file, held by one emulator at a time (`FILE.lock`); per
  namespace, one row with the snapshot as JSON, one row per outbox, journal and inbox entry,
  and the uploaded bytes as BLOBs. Every save is one transaction (WAL journal): a crash
  mid-write leaves the previous state.
- `Persistence` (saver.py): saves one world when it stops and, while it runs, every `interval`
  seconds (start to start) if something changed, writing only what changed since its last
  save. The event loop only takes the snapshot; the JSON and the SQLite transaction run in a
  worker thread. A send answered more than `interval` plus one save's duration before a
  crash (kill -9 included) is in the file. A state saved for another scenario is copied
  aside (`FILE.<UTC time>.bak`) before it is replaced. For the app's lifespan: `restore()`,
  `start()`, `await stop()`.

What is kept: the clock (a frozen clock's instant; a real-time clock's offset from real time,
so a clock moved forward stays moved), the people (last message, blocked, people added by
the control API), user refs, comments and posts (replied, author, created), token expiries,
saved attachments with their bytes, each page's Messenger Profile, the outbox, the journal, the
person's actions (the inbox, for the web UI's conversations) and the sequence counters. Times
resolved from relative scenario times (`-1h`) are kept as the instants they were, so a person's
window goes on closing while the emulator is off. Webhook deliveries are not kept.

The package's `snapshot` is the function: reach the module as `emulator.persist.snapshot` in
`from ... import` statements (or through sys.modules), not as an attribute.

Importing this package imports sqlite3: the command line and `create_app` import it only when
a state file is used.
"""

from emulator.persist.saver import Persistence
from emulator.persist.snapshot import RestoreResult, StateError, restore, scenario_hash, snapshot
from emulator.persist.store import StateStore

__all__ = [
    "Persistence",
    "RestoreResult",
    "StateError",
    "StateStore",
    "restore",
    "scenario_hash",
    "snapshot",
]
