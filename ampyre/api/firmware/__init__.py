"""Firmware Management for operators: firmware images, updates, rollouts and diagnostics.

Locations handed to charge points are absolute URLs on this server: built from
`--public-url` when set, else from the base URL the operator's request came in on.
"""

from fastapi import APIRouter

from ampyre.api.firmware import diagnostics, images, rollouts, updates

router = APIRouter()
for _module in (images, updates, rollouts, diagnostics):
    router.include_router(_module.router)
