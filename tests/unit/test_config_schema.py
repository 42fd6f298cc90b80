"""The schema is the one declaration of the config keys (issue 9 item 5): config.example.toml
documents every key of it and no other, its values are the schema's defaults, the settings'
own defaults agree with it, and every bad value is named by its `[section] key`."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import pytest

from calsync import config_schema as schema
from calsync.config import Account
from calsync.config import DaemonSettings
from calsync.config import FeedSettings
from calsync.config import SyncSettings
from calsync.config import parse_config
from calsync.errors import ConfigError
from calsync.model import ClassifyRules
from calsync.model import PlanRules
from calsync.model import Template

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
UTC = zoneinfo.ZoneInfo("UTC")
HEADER = re.compile(r"^\[\[?\s*([\w.]+)\s*\]\]?\s*(#.*)?$")
KEY_LINE = re.compile(r"^(\w+)\s*=\s*(.*)$")
INLINE_COMMENT = re.compile(r"""^("[^"]*"|'[^']*'|[^"'#])*\s#\s*\S""")  # a "#" outside quotes


@dataclass(frozen=True)
class ExampleKey:
    """A key line of the example, commented out or not, with the table it sits in."""

    section: str
    name: str
    commented: bool
    documented: bool  # a comment at the end of its line, or a comment line just above it
    line: int


def _section_of(header: str) -> str:
    parts = header.split(".")
    return "accounts.NAME" if parts[0] == "accounts" and len(parts) == 2 else header


def _strip_comment_mark(line: str) -> tuple[str, bool]:
    if line.startswith("#"):
        return line[1:].strip(), True
    return line.strip(), False


def _example_keys(text: str) -> list[ExampleKey]:
    """Every `key = value` line, live or commented out (`# key = value`); a commented table
    header (`# [accounts.home]`) places the commented keys below it, not the live ones."""
    live, commented_in, found = "", "", []
    prose_above = False
    for number, raw in enumerate(text.splitlines(), 1):
        line, commented = _strip_comment_mark(raw.strip())
        header, key = HEADER.match(line), KEY_LINE.match(line)
        if header:
            commented_in = _section_of(header[1])
            live = live if commented else commented_in
        elif key:
            where = commented_in if commented else live
            documented = prose_above or bool(INLINE_COMMENT.match(line))
            found.append(ExampleKey(where, key[1], commented, documented, number))
        prose_above = commented and not (header or key) and bool(line)
    return found


EXAMPLE_KEYS = _example_keys(EXAMPLE.read_text(encoding="utf-8"))
SCHEMA_KEYS = [(s, k) for s in schema.SECTIONS for k in s.keys]


def _ids(pairs: list[tuple[schema.Section, schema.Key]]) -> list[str]:
    return [f"[{s.name}] {k.name}" for s, k in pairs]


def test_the_scanner_finds_live_commented_and_nested_keys():
    names = {(k.section, k.name, k.commented) for k in EXAMPLE_KEYS}
    assert ("", "timezone", False) in names
    assert ("rules", "preferred_time", True) in names
    assert ("strength.templates", "body", True) in names
    assert ("accounts.NAME", "url", True) in names
    assert ("feed", "port", False) in names
    assert ("strength", "templates", False) not in names  # prose is not a key


@pytest.mark.parametrize(("section", "key"), SCHEMA_KEYS, ids=_ids(SCHEMA_KEYS))
def test_every_schema_key_is_in_the_example_with_a_comment(section, key):
    lines = [k for k in EXAMPLE_KEYS if (k.section, k.name) == (section.name, key.name)]
    assert lines, f"config.example.toml does not show [{section.name}] {key.name}"
    assert any(k.documented for k in lines), (
        f"config.example.toml line {lines[0].line}: [{section.name}] {key.name} has no comment "
        "beside or above it"
    )


def test_every_key_in_the_example_is_in_the_schema():
    sections = {s.name: s for s in schema.SECTIONS}
    unknown = [
        f"line {k.line}: [{k.section}] {k.name}"
        for k in EXAMPLE_KEYS
        if k.section not in sections or k.name not in schema.known_names(sections[k.section])
    ]
    assert not unknown


def test_the_examples_values_are_the_schema_defaults():
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    parse_config(raw, "config.example.toml", UTC)  # valid as it stands
    shown = 0
    for section, key in SCHEMA_KEYS:
        table = raw
        for part in filter(None, section.name.split(".")):
            table = table.get(part, {})
        if key.name not in table or key.default is None:  # unset by default: an example value
            continue
        shown += 1
        assert key.type.convert(table[key.name]) == key.value(), f"[{section.name}] {key.name}"
    assert shown >= 35  # the live keys really were compared


def test_the_settings_defaults_are_the_schemas():
    config = parse_config({"accounts": {"home": {"url": "https://x.example/"}}}, "t", UTC)
    assert config.rules == PlanRules(timezone=UTC)
    assert config.classify == ClassifyRules()
    assert (config.sync, config.daemon, config.feed) == (
        SyncSettings(),
        DaemonSettings(),
        FeedSettings(),
    )
    assert config.accounts["home"] == Account(name="home", url="https://x.example/")
    assert config.weeks == schema.PLAN.key("weeks").value()
    body = {"body": "Squat"}
    (template,) = parse_config({"strength": {"templates": [body]}}, "t", UTC).rules.templates
    assert template == Template(name="custom-1", title="Strength", body="Squat")


@pytest.mark.parametrize(
    ("settings", "sections", "not_keys"),
    [
        (PlanRules, (schema.STRENGTH, schema.RULES), {"timezone", "templates"}),
        (ClassifyRules, (schema.CLASSIFY,), {"keywords"}),
        (Template, (schema.TEMPLATE,), set()),
        (SyncSettings, (schema.SYNC,), set()),
        (DaemonSettings, (schema.DAEMON,), set()),
        (FeedSettings, (schema.FEED,), set()),
        (Account, (schema.ACCOUNT,), {"name", "busy_sources"}),
    ],
)
def test_every_settings_field_has_its_key(settings, sections, not_keys):
    fields = {f.name for f in dataclasses.fields(settings)} - not_keys
    assert fields == {k.name for s in sections for k in s.keys}


def _where(section: schema.Section) -> tuple[dict[str, object], str]:
    """A config holding one table for `section`, and that table (to put a bad key in)."""
    table: dict[str, object] = {}
    if section.name == "":
        return table, ""
    if section.many == "list":
        return {"strength": {"templates": [table]}}, "[strength.templates #1]"
    if section.many == "named":
        return {"accounts": {"home": table}}, "[accounts.home]"
    raw: dict[str, object] = table
    for part in reversed(section.name.split(".")):
        raw = {part: raw}
    return raw, f"[{section.name}]"


@pytest.mark.parametrize(("section", "key"), SCHEMA_KEYS, ids=_ids(SCHEMA_KEYS))
def test_a_bad_value_names_section_key_and_what_is_allowed(section, key):
    raw, where = _where(section)
    table = raw if section.name == "" else _table_in(raw, section)
    table.update(_required(section))
    table[key.name] = {"not": "a value"}
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "my.toml", UTC)
    (problem,) = info.value.problems
    assert problem.startswith(f"{where} {key.name} = ".lstrip()), problem
    assert "expected" in problem
    assert "my.toml" in info.value.message


def _required(section: schema.Section) -> dict[str, object]:
    """A valid value for each key the section's table must hold."""
    valid = {"body": "Squat 4x4", "url": "https://x.example/"}
    return {k.name: valid[k.name] for k in section.keys if k.default is schema.REQUIRED}


def _table_in(raw: dict[str, object], section: schema.Section) -> dict[str, object]:
    node: object = raw
    for part in section.name.replace("NAME", "home").split("."):
        node = node[part] if isinstance(node, dict) else node
    if isinstance(node, list):
        node = node[0]
    assert isinstance(node, dict)
    return node


def test_a_misspelt_key_at_any_depth_gets_a_suggestion():
    for section in schema.SECTIONS:
        raw, where = _where(section)
        table = raw if section.name == "" else _table_in(raw, section)
        table.update(_required(section))
        wrong = section.keys[0].name + "x"
        table[wrong] = 1
        with pytest.raises(ConfigError) as info:
            parse_config(raw, "my.toml", UTC)
        (problem,) = info.value.problems
        assert f"unknown key {wrong!r} (did you mean {section.keys[0].name!r}?)" in problem
        assert problem.startswith(where or "top level"), problem


def test_a_missing_required_key_says_what_it_is_for():
    with pytest.raises(ConfigError) as info:
        parse_config({"accounts": {"home": {}}, "strength": {"templates": [{}]}}, "my.toml", UTC)
    assert sorted(info.value.problems) == [
        f"[accounts.home] url: required ({schema.ACCOUNT.key('url').help})",
        f"[strength.templates #1] body: required ({schema.TEMPLATE.key('body').help})",
    ]


def test_every_key_has_help_and_a_valid_default():
    for section, key in SCHEMA_KEYS:
        assert key.help.strip(), f"[{section.name}] {key.name}"
        assert key.type.allowed.strip(), f"[{section.name}] {key.name}"
        key.value()  # the default, as written, is valid for the key's own type
