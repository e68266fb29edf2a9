"""The per-owner index that the devices and the suggestions buckets both keep.

`owner.<ownerId>.<recordId>` (an empty value) is written before the record it points to, in
the order the owner's records were made, so an owner's records are listed page by page from
the index. An entry whose record is missing (a write still under way, or interrupted) or
belongs to someone else (a refused registration of another owner's device id) is skipped.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from nats.js.kv import KeyValue

from accord.kv import Entry, select_page


class Owned(Protocol):
    @property
    def owner_id(self) -> str: ...


R = TypeVar("R", bound=Owned)


def index_key(owner_id: str, record_id: str) -> str:
    return f"owner.{owner_id}.{record_id}"


@dataclass(frozen=True, slots=True)
class OwnerIndex(Generic[R]):
    """The index entries in `kv`, each pointing to the record `find` reads by its id."""

    kv: KeyValue
    find: Callable[[str], Awaitable[R | None]]

    async def page(self, owner_id: str, page_size: int, after: int) -> tuple[list[R], int | None]:
        """One page of the owner's records in the order they were indexed, and where the
        next page starts (None: the end)."""

        async def owned(entry: Entry) -> R | None:
            record = await self.find(entry.key.split(".", 2)[2])
            return record if record is not None and record.owner_id == owner_id else None

        return await select_page(self.kv, index_key(owner_id, "*"), after, page_size, owned)
