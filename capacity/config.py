"""Typed configuration from TOML tables: one generic, strict converter.

A section of a scenario maps onto a frozen dataclass *by field name*. Unknown
keys, wrong types and impossible values become a
:class:`~capacity.errors.ScenarioError` that names the file and the dotted key,
with a "did you mean" for typos. Dataclasses state their own value rules in
``__post_init__`` by raising ``ValueError("<field>: <what is expected>")``.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import difflib
import types
import typing
import warnings
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


def _split(dotted: str) -> tuple[list[str], str | None]:
    """``"plan.zone_rules[].zone"`` → (``["plan", "zone_rules"]``, ``"zone"``);
    without ``[]`` the second part is None."""
    head, sep, tail = dotted.partition("[].")
    return head.split("."), (tail if sep else None)


def _table_at(doc: Mapping, keys: list[str]):
    node = doc
    for k in keys:
        if not isinstance(node, Mapping) or k not in node:
            return None
        node = node[k]
    return node


def rename_keys(doc: Mapping, renamed: Mapping[str, str], path=None, prefix: str = "") -> dict:
    """Move keys from their old names to their new ones, warning once per key found.

    Parameters
    ----------
    doc : mapping
        One TOML document as read (not modified; a changed copy is returned).
    renamed : mapping of str to str
        ``{old dotted key: new dotted key}``. ``[]`` stands for every table of
        an array of tables (``"plan.zone_rules[].zone"``); the old and new key
        of such an entry share the part before ``[]``.
    path : str or Path, optional
        The file, for the warning and errors.
    prefix : str
        Dotted key of ``doc`` within the file (used when recursing).

    Returns
    -------
    dict
        A deep copy of ``doc`` in which every old key present is moved to its
        new name (tables are created as needed).

    Warns
    -----
    RenamedKeyWarning
        Per old key found: names the file, the old key and the new one.

    Raises
    ------
    ScenarioError
        The file sets both the old and the new name of a key.
    """
    from capacity.errors import RenamedKeyWarning

    out = copy.deepcopy(dict(doc))
    for old, new in renamed.items():
        (old_keys, old_tail), (new_keys, new_tail) = _split(old), _split(new)
        if old_tail is not None:
            if new_tail is None or old_keys != new_keys:
                raise ValueError(f"renamed key {old!r} → {new!r}: [] must be at the same place")  # a bug
            items = _table_at(out, old_keys)
            if isinstance(items, list):
                base = ".".join(filter(None, [prefix] + old_keys))
                for i, item in enumerate(items):
                    if isinstance(item, Mapping):
                        items[i] = rename_keys(item, {old_tail: new_tail}, path, f"{base}[{i}]")
            continue
        parent = _table_at(out, old_keys[:-1])
        if not isinstance(parent, Mapping) or old_keys[-1] not in parent:
            continue
        full_old = ".".join(filter(None, [prefix, old]))
        full_new = ".".join(filter(None, [prefix, new]))
        if _table_at(out, new_keys) is not None:
            raise ScenarioError(f"sets both '{full_old}' (the old name) and '{full_new}'; keep only "
                                f"'{full_new}'", path, full_old)
        value = parent.pop(old_keys[-1])
        node = out
        for k in new_keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ScenarioError(f"expected a table where '{full_new}' goes", path, full_new)
        node[new_keys[-1]] = value
        where = f"{path}: " if path else ""
        warnings.warn(f"{where}key '{full_old}' is now called '{full_new}'; the old name still works "
                      f"but is deprecated: rename it", RenamedKeyWarning, stacklevel=2)
    return out


def check_ranges(obj, ranges: Mapping[str, tuple], path=None) -> None:
    """Check typed values against plausible ranges given by dotted key.

    Parameters
    ----------
    obj : object
        Attributes are read by the dotted keys (e.g. a Scenario).
    ranges : mapping
        ``{dotted key: (low, high, unit)}``, inclusive. A key ending in
        ``.*`` checks every value of a mapping; ``[]`` checks every item of a
        tuple (``plan.build_years[]``) or an attribute of each
        (``plan.zone_rules[].year``). ``None`` values are skipped.
    path : str or Path, optional
        The file, for messages.

    Raises
    ------
    ScenarioError
        Naming the dotted key (with the item's index or mapping key) and the range.
    """
    for dotted, (low, high, unit) in ranges.items():
        head, brackets, tail = dotted.partition("[]")
        star = head.endswith(".*")
        node = obj
        for k in (head[:-2] if star else head).split("."):
            node = getattr(node, k)
        if star:
            found = [(f"{head[:-2]}.{k}", v) for k, v in node.items()]
        elif brackets:
            tail = tail.lstrip(".")
            found = [(f"{head}[{i}]" + (f".{tail}" if tail else ""),
                      getattr(item, tail) if tail else item) for i, item in enumerate(node)]
        else:
            found = [(head, node)]
        for key, value in found:
            if value is None or isinstance(value, bool):
                continue
            if not low <= value <= high:
                raise ScenarioError(f"{value:g} is outside the plausible range {low:g}–{high:g} {unit}; "
                                    "a slipped digit or a wrong unit?", path, key)
