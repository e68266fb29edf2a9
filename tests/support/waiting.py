"""Waiting for an asynchronous platform to catch up, by asking again (never a fixed sleep).

The bounds are for a broken run, not timing claims: a healthy one is done in a fraction.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], within: float = 10.0) -> T:
    """The first truthy result of `probe`; fails if none comes within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = await probe()
        if found:
            return found
        if loop.time() > deadline:
            raise AssertionError("the condition never held")
        await asyncio.sleep(0.05)


async def settled(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 10.0
) -> T:
    """`probe`'s answer once `done` holds for it, or its last answer after `within` seconds:
    the test's own assertions then say what is wrong with it."""
    answers: list[T] = []

    async def answer_done() -> bool:
        answers.append(await probe())
        return done(answers[-1])

    with contextlib.suppress(AssertionError):
        await eventually(answer_done, within)
    return answers[-1]
