"""SMTP servers on 127.0.0.1 that misbehave on purpose: slow, refusing, or down then up."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from .conftest import Inbox, free_port


class Sink(Inbox):
    """An Inbox that can wait before answering, and answer `reply` to the first `fail` DATA
    commands. `started` is set when a message has been fully received (its reply pending),
    `peers` records each connection's client port."""

    def __init__(self, delay: float = 0.0, fail: int = 0, reply: str = "250 OK") -> None:
        super().__init__()
        self.delay, self.fail, self.reply = delay, fail, reply
        self.started = threading.Event()
        self.peers: set[int] = set()
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        self.started.set()
        with self.lock:
            self.peers.add(session.peer[1])
            if self.refused < self.fail:
                self.refused += 1
                return self.reply
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def running(sink: Sink, port: int | None = None) -> Iterator[int]:
    port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


class HoldingSink(Sink):
    """A Sink that holds, unanswered, every message received once `hold_at` messages have
    been: `holding` is set when one is held, and `release` lets them all go on. A worker
    killed while `holding` is set is certainly in the middle of a send."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            hold = self.hold_at is not None and len(self.envelopes) >= self.hold_at
        if hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)
