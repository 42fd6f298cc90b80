"""Two accounts, one target calendar: each keeps its own blocks (X-CALSYNC-ACCOUNT).

Real servers. `home` and `partner` are two runners with the same week of runs, on the same
server, writing into the same calendar; a block of the other is busy time, never moved or
removed. Blocks written before the marker existed stay their account's.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from calsync.app.sync import SyncReport
from calsync.app.sync import sync_once
from tests.sync.accounts import Acct
from tests.sync.accounts import home
from tests.sync.accounts import meeting_ics
from tests.sync.accounts import overlaps
from tests.sync.accounts import write_accounts
from tests.sync.conftest import CANONICAL
from tests.sync.conftest import NOW
from tests.sync.conftest import World
from tests.sync.conftest import dtstart
from tests.sync.conftest import ics

MARKER = re.compile(rb"(?m)^X-CALSYNC-ACCOUNT:([^\r\n]*)\r?\n")


def _partner(world: World) -> Acct:
    tag = uuid.uuid4().hex[:8]
    url = world.server.new_calendar(f"Partner runs {tag}")
    runs = world.runs().__class__("partner runs", url)
    for name, (start, minutes, title) in CANONICAL.items():
        world.put(runs, f"p-{name}-{tag}", ics(f"p-{name}-{tag}", start, minutes, title))
    return Acct("partner", world.server.url, (url,), world.target)


def _sync(world: World, account: str) -> SyncReport:
    return sync_once(world.config(), account, NOW, env=world.env)


def _owners(world: World) -> dict[str, list]:
    """Block starts by X-CALSYNC-ACCOUNT ('' for none)."""
    out: dict[str, list] = {}
    for obj in world.blocks().values():
        found = MARKER.search(obj.data)
        owner = found.group(1).decode() if found else ""
        out.setdefault(owner, []).append(dtstart(obj.data))
    return {k: sorted(v) for k, v in out.items()}


def test_two_accounts_one_target_keep_their_own_blocks(world: World) -> None:
    write_accounts(world, home(world), _partner(world))
    first = _sync(world, "home")
    assert [a.kind for a in first.actions] == ["create", "create"]
    second = _sync(world, "partner")
    assert [a.kind for a in second.actions] == ["create", "create"]  # none of home's taken
    owners = _owners(world)
    assert sorted(owners) == ["home", "partner"]
    assert len(owners["home"]) == 2 and len(owners["partner"]) == 2
    # home's blocks are busy time for partner: partner's blocks avoid them
    for start in owners["partner"]:
        assert not overlaps(start, 45, owners["home"], 45)
    for account in ("home", "partner", "home"):  # a second round writes nothing
        assert {a.kind for a in _sync(world, account).actions} == {"keep"}
    assert _owners(world) == owners


def test_another_accounts_block_is_busy_time(world: World) -> None:
    """partner first, then home: home's blocks go around partner's."""
    write_accounts(world, home(world), _partner(world))
    _sync(world, "partner")
    _sync(world, "home")
    owners = _owners(world)
    assert len(owners["home"]) == 2 and len(owners["partner"]) == 2
    for start in owners["home"]:
        assert not overlaps(start, 45, owners["partner"], 45)


def _strip_markers(world: World) -> None:
    """The blocks as the format before X-CALSYNC-ACCOUNT wrote them."""
    store = world.side()
    for obj in world.blocks().values():
        store.update(obj, MARKER.sub(b"", obj.data))
    assert list(_owners(world)) == [""]


def _meeting_file(tmp_path: Path) -> str:
    family = tmp_path / "family.ics"
    family.write_bytes(meeting_ics())
    return str(family)


def test_old_blocks_without_marker_stay_their_accounts(world: World, tmp_path: Path) -> None:
    """An upgrade: blocks without the marker are still moved by their account (its state
    issued them), even with a second account sharing the calendar."""
    write_accounts(world, home(world))
    world.sync()
    uids = {o.href for o in world.blocks().values()}
    _strip_markers(world)
    write_accounts(world, home(world, _meeting_file(tmp_path)), _partner(world))
    report = world.sync()  # the meeting pushes Monday's block: moved, not duplicated
    assert sorted(a.kind for a in report.actions) == ["keep", "move"]
    assert {o.href for o in world.blocks().values()} == uids
    assert sorted(_owners(world)) == ["", "home"]  # the moved block now says whose it is
    # partner leaves home's old unmarked block alone (not its state's): busy time for it
    before = {o.href: o.data for o in world.blocks().values()}
    theirs = _sync(world, "partner")
    assert [a.kind for a in theirs.actions] == ["create", "create"]  # none of home's taken
    after = {o.href: o.data for o in world.blocks().values()}
    assert {h: after[h] for h in before} == before


def test_lost_state_single_account_adopts_unmarked_blocks(world: World) -> None:
    """One account only: blocks without the marker are its own even with no state."""
    world.sync()
    _strip_markers(world)
    shutil.rmtree(world.state_dir)
    report = world.sync()
    assert len(world.blocks()) == 2
    assert {a.kind for a in report.actions} == {"keep"}
