"""The adapters: thin I/O at the edges, each turning the outside world into the model's values.

It holds CalDAV (`caldav_store` and its `caldav_*` parts), ICS files and HTTP sources
(`ics_file`, `http_source`, `http_auth`, `bounded` for size and time limits), the in-memory
`memory_store`, the sync state (`state`, SQLite), credentials, the feed's secret tokens and
private files (`feed_token`, `feed_record_file`), the feed's HTTP caching rules (`http_cache`)
and its server (`feed_server`). It may import the kernel (`calsync.errors`, `calsync.model`,
`calsync.config`, `calsync.config_schema`), `calsync.core`, `calsync.ical` and other adapters:
never the use cases (`calsync.app`), the CLI or the daemon. `tests/test_layout.py` enforces it.
"""
