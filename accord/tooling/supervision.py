"""Keep a child process running: restart it with backoff when it exits unasked, give up on a
crash loop.

`make run` supervises each of its processes (the embedded nats-server, every service, the
gateway) with one `Supervised` each, so a crashed service comes back while the rest of the
platform goes on serving. The policy mirrors what a production supervisor does with the same
processes (systemd's Restart=, RestartSec= and StartLimitBurst=; see `accord.tooling.units`).
"""

import asyncio
import collections
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class RestartPolicy:
    first_delay: float = 0.5  # seconds before the first restart
    max_delay: float = 8.0  # the delay doubles on each restart, up to this
    stable_after: float = 30.0  # up this long: the next crash starts from first_delay again
    max_restarts: int = 5  # more restarts than this within `window` is a crash loop
    window: float = 60.0


class CrashLoop(Exception):
    """A supervised process kept exiting: the supervisor gave up on it."""


class Child(Protocol):
    """A started process, as far as its supervisor cares."""

    @property
    def pid(self) -> int | None: ...

    async def wait(self) -> int: ...

    async def terminate(self, grace: float) -> None: ...


Start = Callable[[], Awaitable[Child]]


class ProcessChild:
    """An asyncio subprocess as a Child."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @property
    def pid(self) -> int | None:
        return self.process.pid

    async def wait(self) -> int:
        return await self.process.wait()

    async def terminate(self, grace: float) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _say(line: str) -> None:
    print(f"accord: {line}", file=sys.stderr, flush=True)


@dataclass(slots=True)
class Supervised:
    """One process kept running by `keep_running` until `stop`: `launch` starts it, `say`
    tells the developer, `on_start` hears of each new child."""

    name: str
    launch: Start
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    say: Callable[[str], None] = _say
    on_start: Callable[[Child], None] | None = None
    child: Child | None = field(default=None, init=False)
    restarts: int = field(default=0, init=False)
    _stopping: bool = field(default=False, init=False)

    async def start(self) -> Child:
        self.child = await self.launch()
        if self.on_start is not None:
            self.on_start(self.child)
        return self.child

    async def keep_running(self) -> None:
        """Wait on the child, restart it each time it exits; returns once `stop` is called,
        raises CrashLoop when it exits more than the policy allows."""
        policy = self.policy
        loop = asyncio.get_running_loop()
        recent: collections.deque[float] = collections.deque()
        delay = policy.first_delay
        if self.child is None:
            await self.start()
        while True:
            assert self.child is not None
            started = loop.time()
            code = await self.child.wait()
            if self._stopping:
                return
            now = loop.time()
            if now - started >= policy.stable_after:
                delay = policy.first_delay
            while recent and now - recent[0] > policy.window:
                recent.popleft()
            if len(recent) >= policy.max_restarts:
                raise CrashLoop(
                    f"{self.name} {describe_exit(code)} and was restarted {len(recent)} times "
                    f"within {policy.window:.0f} s: giving up (a crash loop)"
                )
            self.say(
                f"{self.name} {describe_exit(code)}; restarting it in {delay:.2g} s "
                f"(restart {len(recent) + 1} of at most {policy.max_restarts} "
                f"within {policy.window:.0f} s)"
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return
            recent.append(now)
            self.restarts += 1
            delay = min(delay * 2, policy.max_delay)
            try:
                await self.start()
            except Exception as error:  # a start that fails counts like a crash
                self.say(f"{self.name} could not be started: {error}")
                self.child = _Failed()
                continue
            self.say(f"{self.name} restarted (pid {self.child.pid})")

    async def stop(self, grace: float) -> None:
        self._stopping = True
        if self.child is not None:
            await self.child.terminate(grace)


class _Failed:
    """A start that failed: a child that has already exited."""

    pid = None

    async def wait(self) -> int:
        return 1

    async def terminate(self, grace: float) -> None:
        return None
