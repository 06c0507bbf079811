"""Hypothesis strategies for any protobuf message, built by walking its descriptor: hostile
strings (ZWNJ, RTL marks, mixed Persian/Arabic/Latin digits, operator-shaped text, NUL, very
long, empty), integers at their bounds, enums including unknown numbers, repeated and map
fields, nested messages and ``google.protobuf.Struct``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import struct_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

ZWNJ, RLM, LRM, RLO, PDF = "\u200c", "\u200f", "\u200e", "\u202e", "\u202c"
EDGE_STRINGS = (
    "", " ", "\x00", "a\x00b", "null", "None", "0", "-1",
    "مریم" + ZWNJ + "ها", RLM + "علی" + LRM, RLO + "abc" + PDF, "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "09۱۲1٢3۴5٦7", "۰۰۴۱۲۳۴۵۶۱",
    "ي ك ی ک", "\ufeff", "\U0001f600", "\ud7ff", "e\u0301", "ﷺ", "ـــ",
    '{"$gt": ""}', "$gt", "$where", "{$ne: null}", "'; DROP TABLE parties; --", "../../etc/passwd", "%00", "${jndi:x}",
    "1405/13/40", "1405/00/00", "2026-02-30", "9999-12-31", "0000-00-00", "2026-11-22T25:61:00Z",
    "cus_", "pol_" + "0" * 26, "x" * 5_000, "۱" * 70_000,
)
_TEXT = st.text(alphabet=st.sampled_from("ab1۱٤ آمریکايی" + ZWNJ + RLM + LRM + "\x00$.{}\"'\\"), max_size=40)
_INT_BOUNDS = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def strings(known: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Edge cases, random hostile text, and (to get past lookups) ``known`` real values."""
    choices = [st.sampled_from(EDGE_STRINGS), _TEXT]
    if known:
        choices.append(st.sampled_from(tuple(known)))
    return st.one_of(*choices)


def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from((low, high, 0, 1, -1 if low < 0 else 2, 100, 10_001)), st.integers(low, high))


def _json_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False), strings())
    return st.recursive(leaves, lambda inner: st.dictionaries(strings(), inner, max_size=3) | st.lists(inner, max_size=3), max_leaves=6)


def _scalar(field: FieldDescriptor, known: Sequence[str]) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return strings(known)
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.just(b"\xff" * 70_000))
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(allow_nan=True, allow_infinity=True, width=64 if kind == FieldDescriptor.TYPE_DOUBLE else 32)
    if kind == FieldDescriptor.TYPE_ENUM:
        numbers = [v.number for v in field.enum_type.values]
        return st.one_of(st.sampled_from(numbers), st.sampled_from((-1, max(numbers) + 1, 2**31 - 1)))  # unknown numbers too
    if kind in _INT_BOUNDS:
        return _integers(*_INT_BOUNDS[kind])
    raise NotImplementedError(f"no strategy for field type {kind} ({field.full_name})")


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def messages(descriptor: Descriptor, known: Sequence[str] = (), depth: int = 0) -> st.SearchStrategy[Message]:
    """Messages of ``descriptor``'s type: each field left unset or filled with an edge case."""
    cls = GetMessageClass(descriptor)
    if descriptor.full_name == "google.protobuf.Struct":
        return st.dictionaries(strings(), _json_values(), max_size=4).map(_struct)
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if _is_map(field):
            key_field, value_field = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            value = messages(value_field.message_type, known, depth + 1) if value_field.type == FieldDescriptor.TYPE_MESSAGE else _scalar(value_field, known)
            parts[field.name] = st.dictionaries(_scalar(key_field, known), value, max_size=3)
            continue
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth >= 3:
                continue
            one = messages(field.message_type, known, depth + 1)
        else:
            one = _scalar(field, known)
        is_repeated = field.is_repeated
        parts[field.name] = st.lists(one, max_size=3) if is_repeated else one
    if not parts:
        return st.just(cls())
    chosen = st.fixed_dictionaries({}, optional=parts)
    return chosen.map(lambda values: _build(cls, descriptor, values))


def _struct(values: dict[str, Any]) -> Message:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _build(cls: Any, descriptor: Descriptor, values: dict[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        field = descriptor.fields_by_name[name]
        target = getattr(message, name)
        if _is_map(field):
            for key, item in value.items():
                if isinstance(item, Message):
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        elif field.is_repeated:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value:
                    target.add().CopyFrom(item)
            else:
                target.extend(value)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message
