"""Pydantic records in key-value buckets: read one, replace one read at a revision, and
change one by compare-and-set."""

from collections.abc import Callable
from typing import TypeVar

from nats.js.kv import KeyValue
from pydantic import BaseModel

from accord import kvrecords

R = TypeVar("R", bound=BaseModel)

MAX_ATTEMPTS = kvrecords.MAX_ATTEMPTS  # the same limit, and reason, as for protobuf records


async def read(kv: KeyValue, key: str, model: type[R]) -> tuple[R, int] | None:
    """The record and its revision, or None when the key holds nothing."""
    found = await kvrecords.read(kv, key)
    if found is None or not found.value:
        return None
    return model.model_validate_json(found.value), found.revision


async def replace(kv: KeyValue, key: str, record: BaseModel, revision: int) -> bool:
    """Store `record` if `key` is still at `revision`; False when it changed meanwhile."""
    return await kvrecords.replace(kv, key, record.model_dump_json().encode(), revision)


async def change(
    kv: KeyValue, key: str, model: type[R], apply: Callable[[R | None], R | None]
) -> R | None:
    """Apply `apply` to the current record (None when absent) and store what it returns,
    by compare-and-set on the revision it read; on a lost race, read again and re-apply.
    `apply` returning the record unchanged (or None) writes nothing. Returns what is stored."""
    for _ in range(MAX_ATTEMPTS):
        current = await read(kv, key, model)
        record, revision = current if current is not None else (None, 0)
        changed = apply(record)
        if changed is None or changed == record:
            return record
        value = changed.model_dump_json().encode()
        if current is None:
            stored = await kvrecords.create(kv, key, value) is not None
        else:
            stored = await kvrecords.replace(kv, key, value, revision)
        if stored:
            return changed
    raise RuntimeError(f"{key}: lost {MAX_ATTEMPTS} compare-and-set races in a row")
