"""The whole CSMS as one ASGI application: OCPP endpoint, REST API and web console."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, generate_latest

from ampyre import __version__
from ampyre.api import files
from ampyre.api.app import api_router, install_error_handlers, readiness_router
from ampyre.api.audit import AuditMiddleware
from ampyre.api.openapi import docs_routes, install_openapi, operation_id
from ampyre.cluster.lease import Lease
from ampyre.cluster.node import ClusterApplication, ClusterNode
from ampyre.config import Settings
from ampyre.ftp import start_ftp_server
from ampyre.handlers.application import OcppApplication
from ampyre.handlers.gateway import ConnectionGateway
from ampyre.metrics import (
    SIBLINGS_TIMEOUT,
    AmpyreCollector,
    LoopLag,
    ServerMetrics,
    metrics_endpoint,
    metrics_registry,
)
from ampyre.ocpp.v16.validation import get_validator
from ampyre.services.access import token_hash
from ampyre.services.accounts import AccountService
from ampyre.services.central_system import CentralSystem
from ampyre.services.settings import SettingsService
from ampyre.storage.database import Database
from ampyre.transport.application import Application
from ampyre.transport.endpoint import OcppEndpoint
from ampyre.transport.proxies import TrustedProxies
from ampyre.transport.registry import ConnectionRegistry
from ampyre.transport.stats import MessageStats
from ampyre.web import console_routes

log = logging.getLogger("ampyre")

#: The collector's thresholds once the server runs (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 100)


def create_app(settings: Settings, *, worker: int = 0) -> FastAPI:
    """The app of one server process; `worker` is its number under `--workers` (0 alone)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        await db.migrate()
        validator = get_validator()
        registry = ConnectionRegistry()
        local_gateway = ConnectionGateway(registry, validator)
        cluster = await _join_cluster(settings, db, registry, local_gateway, worker)
        csms = CentralSystem.build(
            db,
            cluster.gateway if cluster is not None else local_gateway,
            settings,
            locks=cluster.locks if cluster is not None else None,
        )
        if cluster is not None:
            cluster.share_events(csms.events)
            cluster.share_message_log(csms.message_log)
        ftp = await start_ftp_server(settings, csms.diagnostics, here=worker == 0)
        await announce_bootstrap_token(csms.accounts, settings.api_token)
        app.state.csms = csms
        app.state.registry = registry
        # `--api-token` is kept as its digest only, compared in constant time.
        app.state.configured_token = token_hash(settings.api_token) if settings.api_token else None
        app.state.settings = settings
        # The OCPP WebSocket protocol (transport/websocket.py) finds the endpoint here.
        application: Application[Any] = OcppApplication(csms)
        if cluster is not None:
            application = ClusterApplication(application, cluster)
        stats = MessageStats()
        if settings.message_log:
            csms.message_log.start()
        app.state.ocpp_endpoint = OcppEndpoint(
            application,
            registry,
            validator,
            client_certificates=settings.tls_client_ca is not None,
            shared_answers=cluster.answers if cluster is not None else None,
            proxies=TrustedProxies(settings.trusted_proxies),
            stats=stats,
            frames=csms.message_log if settings.message_log else None,
        )
        lag = LoopLag()
        lag.start()
        app.state.metrics = _server_metrics(
            metrics_registry(AmpyreCollector(csms, registry, stats, lag, cluster)), cluster
        )
        # In a cluster, one node at a time sweeps (a lease that outlives two periods).
        lease = cluster.lease("sweep", 2 * settings.sweep_interval) if cluster else None
        sweeper = asyncio.create_task(_sweep(csms, settings.sweep_interval, lease), name="sweeper")
        await csms.webhooks.outbox.start()
        _tune_garbage_collector()
        log.info(
            "Ampyre %s ready on %s (database %s)",
            __version__,
            settings.port,
            db.url.get_backend_name(),
        )
        try:
            yield
        finally:
            sweeper.cancel()
            # Awaited: a sweep cancelled in the middle of a query must give its connection
            # back before the engine is disposed, or that connection (aiosqlite: a thread
            # that is not a daemon) outlives the server and the process never exits.
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await lag.stop()
            await csms.webhooks.outbox.stop()
            if ftp is not None:
                ftp.stop()
            await csms.firmware_rollouts.stop()
            for connection in registry.all():
                await connection.finish()
            await csms.charge_points.flush_last_seen()
            await csms.message_log.stop()  # the last frames too, before the database goes
            if cluster is not None:
                await cluster.stop()
            await db.dispose()

    app = FastAPI(
        title="Ampyre",
        version=__version__,
        description="OCPP 1.6-J Charging Station Management System: REST API",
        lifespan=lifespan,
        routes=console_routes() + docs_routes("Ampyre"),
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    install_openapi(app)
    install_error_handlers(app)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.add_middleware(AuditMiddleware)
    app.include_router(api_router())
    app.include_router(readiness_router())
    app.include_router(files.router)
    return app


async def announce_bootstrap_token(accounts: AccountService, configured: str | None) -> None:
    """Without `--api-token`, the first start creates the `admin` account and prints its
    token once (only its hash is stored; `ampyre token` makes another)."""
    if configured:
        return
    made = await accounts.bootstrap()
    if made is not None:
        name, token = made
        print(
            f"Ampyre API token (generated for account {name}, stored hashed): {token}", flush=True
        )


def _tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector from stalling the server.

    Everything built at start-up (modules, schemas, the app) is moved out of the
    collector's sight, and collections run less often: with thousands of connections'
    long-lived objects, each full collection walks all of them, and a reconnect storm
    (the heap growing fast) triggered one after another.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _join_cluster(
    settings: Settings,
    db: Database,
    registry: ConnectionRegistry,
    local: ConnectionGateway,
    worker: int,
) -> ClusterNode | None:
    if settings.redis_url is None:
        return None
    namespace = "ampyre:" + await SettingsService(db).cluster_id()
    # The workers of one server share their supervisor: that names their group.
    group = f"{socket.gethostname()}:{os.getppid()}" if settings.workers > 1 else None
    node = ClusterNode(settings.redis_url, namespace, registry, local, group=group)
    await node.start()
    return node


def _server_metrics(registry: CollectorRegistry, cluster: ClusterNode | None) -> ServerMetrics:
    """`/metrics` of this process, answering for its sibling workers too under --workers."""
    if cluster is None or cluster.group_channel is None:
        return ServerMetrics(registry)

    async def own() -> dict[str, Any]:
        return {"text": generate_latest(registry).decode()}

    async def siblings() -> list[str]:
        replies = await cluster.ask_group("metrics", SIBLINGS_TIMEOUT)
        return [str(reply["text"]) for reply in replies if "text" in reply]

    cluster.answer("metrics", own)
    return ServerMetrics(registry, siblings)


async def _sweep(csms: CentralSystem, interval: float, lease: Lease | None) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            if lease is None or await lease.hold():
                await csms.sweep()
            else:
                csms.triggers.close_ended_windows()  # the windows are this node's own
        except Exception:
            log.exception("housekeeping failed")
