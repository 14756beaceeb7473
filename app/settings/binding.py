"""Between JSON and the model: ``from_dict`` walks the type hints of the sections, checks each
field as it builds it and names every problem with its JSON path (``rules[2].port: must be
1-65535``); ``to_dict`` writes the model back as the file holds it; ``check_field`` is one field's
check for a window validating what is typed.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from app.problems import Problem
from app.settings.checks import INT_MAX, Range
from app.settings.model import Settings


class SettingsError(Exception):
    """A settings file that cannot be used; ``problems`` name each field."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return "a list"
    if dataclasses.is_dataclass(tp):
        return "an object"
    if _is_words(tp):
        return "a string"
    return {str: "a string", int: "a whole number", bool: "true or false"}.get(tp, str(tp))


UNUSABLE = object()  # what _build returns for a value of the wrong JSON type


def _build(tp: Any, value: Any, path: str, problems: list[Problem]) -> Any:
    """Turns JSON ``value`` into ``tp``, appending the problems found on the way.  A value of the
    wrong type gives UNUSABLE; anything else is built whole, its broken parts included (a list
    item of the wrong type is a stand-in), so the checks across fields can judge the rest."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        choices = [t for t in typing.get_args(tp) if t is not type(None)]
        if len(choices) > 1:  # "ADDRESS:PORT" or an object (server.listen): the JSON type decides
            tp = next((t for t in choices if dataclasses.is_dataclass(t)), str) if isinstance(value, dict) else str
            if not isinstance(value, (str, dict)):
                problems.append(Problem(path, "must be {kind}", ("kind",), kind="a string or an object"))
                return UNUSABLE
        else:  # an optional section: null or left out means none
            if value is None:
                return None
            (tp,) = choices
        origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(Problem(path, "must be {kind}", ("kind",), kind=_type_name(tp)))
            return UNUSABLE
        return _build_object(cast(type, tp), value, path, problems)  # a field's type: the class, not an instance
    if origin is list:
        if not isinstance(value, list):
            problems.append(Problem(path, "must be {kind}", ("kind",), kind=_type_name(tp)))
            return UNUSABLE
        (item_tp,) = typing.get_args(tp)
        items = [_build(item_tp, item, f"{path}[{i}]", problems) for i, item in enumerate(value)]
        return [_stand_in(item_tp) if item is UNUSABLE else item for item in items]
    if _is_words(tp):
        if not isinstance(value, str):
            problems.append(Problem(path, "must be {kind}", ("kind",), kind=_type_name(tp)))
            return UNUSABLE
        word = value.strip()
        return _members(tp).get(word, word)  # no word of the enum: the field's check says which are
    ok = isinstance(value, tp) and not (tp is int and isinstance(value, bool))
    if not ok:
        problems.append(Problem(path, "must be {kind}", ("kind",), kind=_type_name(tp)))
        return UNUSABLE
    return value.strip() if isinstance(value, str) else value


def _stand_in(tp: Any) -> Any:
    """What holds the place of a list item of the wrong type (its problem names it): the checks
    across fields skip it, and the other items keep their indexes."""
    if dataclasses.is_dataclass(tp):
        return cast(type, tp)()
    return {int: 0, bool: False}.get(tp, "")  # str, str | Listener


def _is_words(tp: Any) -> bool:
    """A field holding one of a few words (enums.py)."""
    return isinstance(tp, type) and issubclass(tp, StrEnum)


@functools.cache
def _members(words: type[StrEnum]) -> dict[str, StrEnum]:
    return {member.value: member for member in words}


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    """A section's field types and fields (get_type_hints is slow: once per class)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    return hints, fields


def _build_object(cls: type, data: dict, path: str, problems: list[Problem]) -> Any:
    hints, fields = _shape(cls)
    prefix = f"{path}." if path else ""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            problems.append(Problem(f"{prefix}{key}", "unknown setting"))
            continue
        before = len(problems)
        built = _build(hints[key], value, prefix + key, problems)
        if built is UNUSABLE:
            continue  # the default stands in; the problem names the field
        failed = {p.field for p in problems[before:]}
        check = fields[key].metadata.get("check")
        if check is not None:
            if getattr(check, "each", False):
                for i, item in enumerate(built):
                    problem = None if f"{prefix}{key}[{i}]" in failed else check(item)
                    if problem:
                        problems.append(Problem(f"{prefix}{key}[{i}]", "{check}", ("check",), check=problem))
            elif not failed:
                problem = check(built)
                if problem:
                    problems.append(_failed_check(f"{prefix}{key}", "{check}", problem, path))
        values[key] = built
    obj = cls(**values)
    # Defaults of required-looking fields (match, destination, address) are "" and must be filled.
    for name, f in fields.items():
        if name not in data and f.metadata.get("check") and not getattr(f.metadata["check"], "each", False):
            problem = f.metadata["check"](getattr(obj, name))
            if problem:
                problems.append(_failed_check(f"{prefix}{name}", "is missing ({check})", problem, path))
    return obj


def _failed_check(field: str, template: str, check: str, path: str) -> Problem:
    """A field's check failed; under ``rules[N]`` the problem also names the grid's row."""
    number = _rule_number(path)
    if number is None:
        return Problem(field, template, ("check",), check=check)
    return Problem(field, template + " (rule No. {number})", ("check",), check=check, number=number)


def _rule_number(path: str) -> int | None:
    """`rules[2]` is the third row of the window's grid: the GUI numbers from 1."""
    if path.startswith("rules[") and path.endswith("]"):
        return int(path[6:-1]) + 1
    return None


def from_dict(data: Any, source: Path | None = None) -> Settings:
    """The settings ``data`` holds; SettingsError naming every problem, those of single fields
    and those across fields, found in one run (a check across fields skips only what a broken
    field makes meaningless: ``Settings.problems``)."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise SettingsError([Problem("(file)", "must be a JSON object")])
    settings = _build_object(Settings, data, "", problems)
    settings.source = source
    problems.extend(settings.problems(broken={p.field for p in problems}))
    if problems:
        raise SettingsError(problems)
    return settings


def _field(cls: type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


def check_field(cls: type, name: str, value: Any) -> str | None:
    """The declared check of one field, for a window validating a cell as it is typed."""
    check = _field(cls, name).metadata.get("check")
    if check is None:
        return None
    if getattr(check, "each", False):
        return next((p for p in (check(v) for v in value) if p), None)
    return check(value)


def range_of(cls: type, name: str) -> tuple[int, int]:
    """The whole numbers field ``name`` of section ``cls`` takes, for a window's spin box: its
    declared range, up to the largest a spin box holds where the field has no limit of its own."""
    allowed: Range = _field(cls, name).metadata["range"]
    return allowed.lo, INT_MAX if allowed.hi is None else allowed.hi


def copy(settings: Settings) -> Settings:
    """An independent copy to edit (the window's working copy)."""
    return from_dict(to_dict(settings), source=settings.source)


def _plain(items: list[tuple[str, Any]]) -> dict:
    """A section as JSON values: an enum member as its word."""
    return {key: value.value if isinstance(value, StrEnum) else value for key, value in items}


def to_dict(settings: Settings) -> dict:
    data = dataclasses.asdict(settings, dict_factory=_plain)
    data.pop("source", None)
    # Keys of the accounts feature at their defaults are left out: a file saved by this version
    # reads as before to anyone who never used accounts (and to an older Tenso).
    for account in data["accounts"]:
        if account["oauth2"] is None:  # a password account: written as it is typed
            del account["oauth2"]
        # accounts[].limits: only the fields given (0 is the provider's default), none at all left out
        account["limits"] = {k: v for k, v in account["limits"].items() if v}
        if not account["limits"]:
            del account["limits"]
    if not data["accounts"]:
        del data["accounts"]
    if not data["devices"]:
        del data["devices"]
    for row in [*data["rules"], *data["auth_accounts"]["per_user"]]:
        if row["account"] == "":
            del row["account"]
    for row in data["rules"]:
        if row["rewrite_from"] == "":  # the same for rules[].rewrite_from (issue 24)
            del row["rewrite_from"]
    if settings.alerts == type(settings.alerts)():  # and for alerts (issue 26), never set up
        del data["alerts"]
    return data
