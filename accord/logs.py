"""Logs a person can read during an outage: a traceback once per distinct failure.

A failure that repeats (every call while NATS is away, every redelivery of one event) logs
its traceback the first time and one line each time after, with a count. Two failures are
the same when they are of the same type and raised at the same place.
"""

import collections
import logging
import traceback

_REMEMBERED = 1024


class FailureLog:
    """Remembers which failures it has logged with their traceback (the most recent 1,024)."""

    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger
        self._seen: collections.OrderedDict[tuple[str, ...], int] = collections.OrderedDict()

    def failed(self, error: BaseException, message: str, *args: object) -> None:
        """Log `message` (%-formatted with `args`) with the error: its traceback the first
        time this failure is seen, one line after that."""
        key = _signature(error)
        count = self._seen.pop(key, 0) + 1
        self._seen[key] = count
        while len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
        if count == 1:
            self._log.error(message, *args, exc_info=error)
        else:
            self._log.error(
                message + ": %s (seen %d times; traceback logged the first time)",
                *args,
                type(error).__name__,
                count,
            )


def _signature(error: BaseException) -> tuple[str, ...]:
    frames = traceback.extract_tb(error.__traceback__)
    where = [f"{frame.filename}:{frame.lineno}" for frame in frames[-3:]]
    return (type(error).__module__, type(error).__qualname__, *where)
