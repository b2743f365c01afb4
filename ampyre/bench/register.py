"""Registering the benchmark's charge points and id tags through the REST API.

Why through the API and not the database: it works for any deployment the operator can
reach, SQLite or PostgreSQL, local or remote, with the same token the operator uses.
An existing charge point or id tag (409) is fine. The id tags are registered with
`allowConcurrentTx`, because the swarm shares a few tags among many charge points (a
fleet card): otherwise most StartTransactions would be answered ConcurrentTx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import httpx

from ampyre.bench.results import BenchError

CONCURRENCY = 16


async def _post_all(
    client: httpx.AsyncClient, path: str, bodies: Iterable[dict[str, Any]]
) -> tuple[int, int]:
    """POST each body; returns (created, already there). Raises BenchError on anything
    else."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    created = existing = 0

    async def worker() -> None:
        nonlocal created, existing
        while not queue.empty():
            body = queue.get_nowait()
            try:
                response = await client.post(path, json=body)
            except httpx.HTTPError as error:
                raise BenchError(
                    f"cannot register through {client.base_url}: {error or type(error).__name__}"
                ) from None
            if response.status_code in (200, 201):
                created += 1
            elif response.status_code == 409:
                existing += 1
            elif response.status_code == 401:
                raise BenchError(f"the API at {client.base_url} refused the token (401)")
            else:
                detail = response.text.strip().replace("\n", " ")[:200]
                raise BenchError(f"POST {path} {body} answered {response.status_code}: {detail}")

    workers = [asyncio.create_task(worker()) for _ in range(CONCURRENCY)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return created, existing


async def register_async(
    api_url: str, token: str, charge_point_ids: list[str], id_tags: Iterable[str]
) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=api_url.rstrip("/"), headers=headers, timeout=30
    ) as client:
        tags_created, tags_existing = await _post_all(
            client, "/id-tags", ({"idTag": tag, "allowConcurrentTx": True} for tag in id_tags)
        )
        cps_created, cps_existing = await _post_all(
            client, "/charge-points", ({"id": cp_id} for cp_id in charge_point_ids)
        )
    return {
        "charge_points_created": cps_created,
        "charge_points_existing": cps_existing,
        "id_tags_created": tags_created,
        "id_tags_existing": tags_existing,
    }


def register(
    api_url: str, token: str, charge_point_ids: list[str], id_tags: Iterable[str]
) -> dict[str, int]:
    """Register the charge points and id tags; 409 (already there) is counted, not an
    error."""
    return asyncio.run(register_async(api_url, token, charge_point_ids, list(id_tags)))
