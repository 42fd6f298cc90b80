"""The use cases: what a command does, tying the pure core to the adapters.

It holds `planning` (read the sources and plan: `calsync plan`), the sync (`sync`, with its
steps `sync_read`, `sync_decide`, `sync_exec`, `sync_report`, and the `store` module's
`CalendarStore` protocol that the executor writes through) and the feed (`feed`: plan for the
feed, render the ICS feeds and the week page, publish them). It may import the kernel
(`calsync.errors`, `calsync.model`, `calsync.config`, `calsync.config_schema`), `calsync.core`,
`calsync.ical`, `calsync.adapters` and itself: never the CLI or the daemon, which call it.
`tests/test_layout.py` enforces it.
"""
