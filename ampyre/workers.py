"""`ampyre serve --workers N`: N server processes sharing one listening socket.

Each worker is a whole server and a node of the cluster (`--redis`), so a command that
arrives at one worker reaches a charge point connected to another the way it reaches
one on another machine. Once `server.run` has prepared the database and bound the port,
this process starts the workers, starts a new one when one dies, and on SIGTERM or
SIGINT stops them all gracefully, exiting 0.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

from ampyre.config import Settings
from ampyre.server import serve

log = logging.getLogger("ampyre.workers")

#: How long the workers get to stop gracefully before they are killed (s).
STOP_TIMEOUT = 15.0
#: How often a worker checks that its supervisor is still there (s).
ORPHAN_CHECK = 1.0


class Supervisor:
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
            target=work,
            args=(self.settings, [self.listener], number, os.getpid()),
            name=f"ampyre-worker-{number}",
        )
        worker.start()
        return worker

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True


def work(settings: Settings, sockets: list[socket.socket], number: int, supervisor: int) -> None:
    """A worker: a whole server that stops (gracefully) when its supervisor is gone, so
    a killed supervisor leaves no workers holding the port. The supervisor's pid comes
    from the supervisor: one killed while this worker was still starting is gone before
    the worker could ask for its parent."""

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(ORPHAN_CHECK)
        log.warning("worker %d: the supervisor is gone; stopping", number)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()
    serve(settings, sockets, number)
