"""Typed configuration from TOML tables: one generic, strict converter.

A section of a scenario maps onto a frozen dataclass *by field name*. Unknown
keys, wrong types and impossible values become a
:class:`~capacity.errors.ScenarioError` that names the file and the dotted key,
with a "did you mean" for typos. Dataclasses state their own value rules in
``__post_init__`` by raising ``ValueError("<field>: <what is expected>")``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import types
import typing
from typing import Any, Mapping

from capacity.errors import ScenarioError


def normalise_name(word) -> str:
    """``word`` lower-cased, with spaces and hyphens as underscores, stripped:
    the form in which ``' Zone ID'`` and ``zone_id`` are the same name."""
    return "_".join(str(word).strip().lower().replace("-", " ").replace("_", " ").split())


def did_you_mean(word: str, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string.

    A choice that differs only by case, spaces, hyphens or underscores is
    preferred over one that merely looks alike.
    """
    choices = [str(c) for c in choices]
    same = [c for c in choices if normalise_name(c) == normalise_name(word)]
    close = same or difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if origin is None:
        return getattr(tp, "__name__", str(tp))
    args = ", ".join(_type_name(a) for a in typing.get_args(tp))
    name = {tuple: "list", dict: "table", types.UnionType: "one of", typing.Union: "one of"}.get(
        origin, getattr(origin, "__name__", str(origin)))
    return f"{name}[{args}]"


def coerce(value: Any, tp, key: str, path) -> Any:
    """Check ``value`` against the type hint ``tp``; return it in that type.

    Supports ``bool``, ``int``, ``float`` (ints accepted), ``str``, ``None``
    unions (``X | None``), ``tuple[X, ...]``, ``tuple[X, Y]``, ``dict[str, X]``
    and nested dataclasses.
    """
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(value, arg, key, path)
            except ScenarioError as exc:
                errors.append(exc)
        raise errors[0] if len(errors) == 1 else ScenarioError(
            f"{value!r} is not a {_type_name(tp)}", path, key)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise ScenarioError(f"expected a table, got {value!r}", path, key)
        return build(tp, value, path, key)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ScenarioError(f"expected a list, got {value!r}", path, key)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce(v, args[0], f"{key}[{i}]", path) for i, v in enumerate(value))
        if len(value) != len(args):
            raise ScenarioError(f"expected a list of {len(args)} values, got {value!r}", path, key)
        return tuple(coerce(v, a, f"{key}[{i}]", path) for i, (v, a) in enumerate(zip(value, args)))
    if origin in (dict, collections.abc.Mapping) or tp is dict:
        args = typing.get_args(tp) or (str, Any)
        if not isinstance(value, Mapping):
            raise ScenarioError(f"expected a table, got {value!r}", path, key)
        return types.MappingProxyType(
            {coerce(k, args[0], key, path): coerce(v, args[1], f"{key}.{k}", path)
             for k, v in value.items()})
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"expected true or false, got {value!r}", path, key)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"expected a whole number, got {value!r}", path, key)
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(f"expected a number, got {value!r}", path, key)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(f"expected text, got {value!r}", path, key)
        return value
    if typing.get_origin(tp) is typing.Literal:
        choices = typing.get_args(tp)
        if value not in choices:
            raise ScenarioError(f"{value!r} is not one of {list(choices)}"
                                + did_you_mean(str(value), map(str, choices)), path, key)
        return value
    raise TypeError(f"unsupported configuration type {tp!r} for {key}")  # a bug, not bad input


def build(cls, table: Mapping[str, Any], path=None, prefix: str = ""):
    """Make a frozen dataclass ``cls`` from a TOML table, strictly.

    Parameters
    ----------
    cls : dataclass type
        Target type; its fields name the allowed keys and their types.
    table : mapping
        Values read from TOML (missing keys take the field defaults).
    path : str or Path, optional
        The file, for messages.
    prefix : str
        Dotted key of ``table`` in the file, for messages.

    Raises
    ------
    ScenarioError
        Unknown key (with a suggestion), wrong type, or a value the
        dataclass's ``__post_init__`` rejects.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    dotted = (lambda k: f"{prefix}.{k}" if prefix else k)
    for key in table:
        if key not in fields:
            raise ScenarioError(
                f"unknown key{did_you_mean(key, fields)}; expected one of {', '.join(fields)}",
                path, dotted(key))
    values = {k: coerce(v, hints[k], dotted(k), path) for k, v in table.items()}
    try:
        return cls(**values)
    except ValueError as exc:
        message = str(exc)
        field, _, rest = message.partition(": ")
        if field in fields:
            raise ScenarioError(rest, path, dotted(field)) from None
        raise ScenarioError(message, path, prefix or None) from None
    except TypeError as exc:
        raise ScenarioError(f"missing or invalid keys: {exc}", path, prefix or None) from None


def merge(base: Mapping, override: Mapping) -> dict:
    """Deep-merge two TOML documents: tables merge, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
