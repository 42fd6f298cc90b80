"""The pure core: what calsync decides, as values in and values out, with no I/O and no clock.

It holds the classifier (`classify` with its word tables as data: `keywords`, `vocab`,
`markers`, `measures`, ...), the planner (`plan` with `placement`, `choice`, `sessions`,
`verdicts`, ...), the sync decisions (`reconcile`, `sync_plan`, `copies`), the feed's record
(`feed_record`: UIDs, SEQUENCE, Last-Modified) and the week page's HTML (`week_page`). It may
import only itself, `calsync.model` and `calsync.errors` (and the standard library): never the
settings (callers pass `config.rules`, `config.classify`, ...), the codec, an adapter, the use
cases or the shell. `tests/test_layout.py` enforces it.
"""
