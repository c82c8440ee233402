"""Turning the JSON-friendly dicts callers (and background tasks) pass into the typed dataclasses
renderers read, and back. Small on purpose: dataclass fields, lists, dicts, Optional, Decimal,
int, aware datetimes."""

import dataclasses
import datetime
import types
import typing
from decimal import Decimal, InvalidOperation


class DataError(ValueError):
    """The data handed to a renderer does not have the shape it needs."""


def build(cls, value):
    """`value` (an instance of `cls` or a dict of its fields) as an instance of `cls`."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise DataError(f"{cls.__name__}: expected an object, got {type(value).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(value) - known
    if unknown:
        raise DataError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    kwargs = {name: _coerce(hints[name], item, f"{cls.__name__}.{name}") for name, item in value.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise DataError(f"{cls.__name__}: {exc}") from None


def _coerce(tp, value, where):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (tp,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return _coerce(tp, value, where)
    if origin in (list, tuple):
        item_type = typing.get_args(tp)[0]
        return [_coerce(item_type, item, where) for item in value]
    if origin is dict:
        key_type, item_type = typing.get_args(tp)
        return {_coerce(key_type, k, where): _coerce(item_type, v, where) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return build(tp, value)
    if tp is datetime.datetime:
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        if not isinstance(value, datetime.datetime) or value.tzinfo is None:
            raise DataError(f"{where}: an aware datetime is required")
        return value
    if tp is Decimal:
        try:
            return value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            raise DataError(f"{where}: {value!r} is not a number") from None
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise DataError(f"{where}: {value!r} is not an integer")
        return int(value)
    if tp is str and not isinstance(value, str):
        raise DataError(f"{where}: {value!r} is not text")
    return value


def to_jsonable(obj):
    """The dict form of a dataclass tree (Decimal as text, datetimes as ISO 8601), for tasks."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_jsonable(item) for item in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime.datetime):
        return obj.isoformat()
    return obj
