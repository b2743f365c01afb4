"""`ampyre serve --workers N`: N server processes sharing one listening socket.

Each worker is a whole server and a node of the cluster (`--redis`), so a command that
arrives at one worker reaches a charge point connected to another the way it reaches
one on another machine. This process only prepares the database (migrations, the API
token: once, not N times at once), binds the port, starts the workers, starts a new one
when one dies, and on SIGTERM or SIGINT stops them all gracefully, exiting 0.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType

from ampyre.app import announce_bootstrap_token
from ampyre.config import Settings
from ampyre.logs import configure_logging
from ampyre.server import serve, uvicorn_config
from ampyre.services.accounts import AccountService
from ampyre.storage.database import Database

log = logging.getLogger("ampyre.workers")

#: How long the workers get to stop gracefully before they are killed (s).
STOP_TIMEOUT = 20.0


def run_workers(settings: Settings) -> None:
    configure_logging(settings.log_level)
    asyncio.run(_prepare(settings))
    listener = uvicorn_config(settings).bind_socket()
    supervisor = _Supervisor(settings, listener)
    supervisor.run()


async def _prepare(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        await announce_bootstrap_token(AccountService(db), settings.api_token)
    finally:
        await db.dispose()


class _Supervisor:
    def __init__(self, settings: Settings, listener: socket.socket) -> None:
        self.settings = settings
        self.listener = listener
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[BaseProcess] = []
        self.stopping = False

    def run(self) -> None:
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, self._stop)
        self.workers = [self._start(number) for number in range(self.settings.workers)]
        log.info("%d workers on port %d", len(self.workers), self.settings.port)
        while not self.stopping:
            time.sleep(0.2)
            for number, worker in enumerate(self.workers):
                if not worker.is_alive() and not self.stopping:
                    log.warning("worker %d exited (%s): starting another", number, worker.exitcode)
                    self.workers[number] = self._start(number)
        for worker in self.workers:
            if worker.is_alive() and worker.pid is not None:
                worker.terminate()  # SIGTERM: each drains and closes with 1001
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in self.workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                log.warning("worker %s did not stop in time: killed", worker.pid)
                worker.kill()
                worker.join()
        self.listener.close()

    def _start(self, number: int) -> BaseProcess:
        worker = self.context.Process(
            target=serve,
            args=(self.settings, [self.listener], number),
            name=f"ampyre-worker-{number}",
        )
        worker.start()
        return worker

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
