"""The supervisor restarts a process that exits, with growing delays, and gives up on a loop."""

import asyncio

import pytest

from accord.tooling.supervision import CrashLoop, RestartPolicy, Supervised

FAST = RestartPolicy(first_delay=0.01, max_delay=0.04, stable_after=0.2, max_restarts=3, window=5)


class FakeChild:
    """A process that runs until `exit` is called (or for `lives` seconds)."""

    def __init__(self, pid: int, lives: float | None = None) -> None:
        self.pid = pid
        self.code: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if lives is not None:
            asyncio.get_running_loop().call_later(lives, self.exit, -9)

    def exit(self, code: int) -> None:
        if not self.code.done():
            self.code.set_result(code)

    async def wait(self) -> int:
        return await self.code

    async def terminate(self, grace: float) -> None:
        self.exit(0)


async def test_a_crashing_process_is_restarted_with_backoff_then_given_up() -> None:
    said: list[str] = []
    starts: list[FakeChild] = []

    async def start() -> FakeChild:
        starts.append(FakeChild(len(starts) + 1, lives=0.001))
        return starts[-1]

    supervised = Supervised("payments", start, FAST, say=said.append)
    with pytest.raises(CrashLoop, match="payments was killed by SIGKILL and was restarted 3"):
        await asyncio.wait_for(supervised.keep_running(), 5)
    assert len(starts) == 4  # the first start and three restarts
    delays = [line.split("restarting it in ")[1].split(" s")[0] for line in said if "in " in line]
    assert delays == ["0.01", "0.02", "0.04"]
    assert [line for line in said if "restarted (pid" in line] == [
        f"payments restarted (pid {n})" for n in (2, 3, 4)
    ]


async def test_a_process_that_stayed_up_starts_again_from_the_first_delay() -> None:
    said: list[str] = []
    lives = iter([0.001, 0.001, 0.3, 0.001, None])

    async def start() -> FakeChild:
        return FakeChild(1, lives=next(lives))

    policy = RestartPolicy(first_delay=0.05, max_delay=1.0, stable_after=0.2, max_restarts=9)
    fourth = asyncio.Event()

    def say(line: str) -> None:
        said.append(line)
        if sum("restarted (pid" in line for line in said) == 4:
            fourth.set()

    supervised = Supervised("inventory", start, policy, say=say)
    keeper = asyncio.create_task(supervised.keep_running())
    await asyncio.wait_for(fourth.wait(), 5)
    await supervised.stop(1)
    await asyncio.wait_for(keeper, 5)
    waits = [line.split("restarting it in ")[1].split(" s")[0] for line in said if "in " in line]
    # Doubling, until a start that lived past stable_after: then from the first delay again.
    assert waits == ["0.05", "0.1", "0.05", "0.1"]


async def test_stop_ends_supervision_without_a_restart() -> None:
    async def start() -> FakeChild:
        return FakeChild(1)

    supervised = Supervised("shipping", start, FAST, say=lambda line: None)
    keeper = asyncio.create_task(supervised.keep_running())
    await asyncio.sleep(0.01)
    await supervised.stop(1)
    await asyncio.wait_for(keeper, 5)
    assert supervised.restarts == 0
