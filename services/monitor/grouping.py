"""The monitor's grouping state in the `monitor_errors` bucket (rules in episodes.py).

Keys:
- `episode.<customerId>.<fingerprint>`: the current Episode; changed only by compare-and-set,
  so concurrent reports of one fingerprint agree on one episode.
- `report.<customerId>.<reportId>`: the ticket key a report was given. A redelivered report
  goes to the same ticket as before, whatever happened to the episode since.
- `noticed.<ticketId>`: the customer was told about that ticket (one notice per ticket).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.js.kv import KeyValue

from accord import kvrecords
from services.monitor.episodes import Episode, joins, next_episode

BUCKET = "monitor_errors"


@dataclass(frozen=True, slots=True)
class Grouping:
    kv: KeyValue
    window: timedelta

    async def ticket_key(
        self, customer_id: str, report_id: str, fingerprint: str, occurred_at: datetime
    ) -> str:
        """The key of the ticket this report is counted on: the one it was given before, or
        the current episode's (starting the next episode if the error falls outside)."""
        given = await self._get(f"report.{customer_id}.{report_id}")
        if given is not None:
            return given.decode()
        while True:
            episode, revision = await self._episode(customer_id, fingerprint)
            if episode is not None and joins(episode, occurred_at):
                break
            episode = next_episode(episode, customer_id, fingerprint, occurred_at, self.window)
            if await self._replace(episode, revision):
                break
        await self.kv.put(f"report.{customer_id}.{report_id}", episode.ticket_key.encode())
        return episode.ticket_key

    async def after_resolution(
        self,
        customer_id: str,
        report_id: str,
        fingerprint: str,
        occurred_at: datetime,
        resolved_key: str,
    ) -> str:
        """The ticket key for a report whose ticket (`resolved_key`) was resolved: the next
        episode, started by this error or by a concurrent one that got there first."""
        while True:
            episode, revision = await self._episode(customer_id, fingerprint)
            if episode is not None and episode.ticket_key != resolved_key:
                break  # another report already moved on: join its episode
            episode = next_episode(episode, customer_id, fingerprint, occurred_at, self.window)
            if await self._replace(episode, revision):
                break
        await self.kv.put(f"report.{customer_id}.{report_id}", episode.ticket_key.encode())
        return episode.ticket_key

    async def noticed(self, ticket_id: str) -> bool:
        return await self._get(f"noticed.{ticket_id}") is not None

    async def mark_noticed(self, ticket_id: str) -> None:
        await self.kv.put(f"noticed.{ticket_id}", b"1")

    async def _get(self, key: str) -> bytes | None:
        found = await kvrecords.read(self.kv, key)
        return (found.value or None) if found is not None else None

    async def _episode(self, customer_id: str, fingerprint: str) -> tuple[Episode | None, int]:
        found = await kvrecords.read(self.kv, f"episode.{customer_id}.{fingerprint}")
        if found is None:
            return None, 0
        if not found.value:
            return None, found.revision
        return Episode.model_validate_json(found.value), found.revision

    async def _replace(self, episode: Episode, revision: int) -> bool:
        """Compare-and-set; False when another report changed the episode first (re-read)."""
        key = f"episode.{episode.customer_id}.{episode.fingerprint}"
        value = episode.model_dump_json().encode()
        if revision:
            return await kvrecords.replace(self.kv, key, value, revision)
        return await kvrecords.create(self.kv, key, value) is not None
