"""Firmware Management for operators: firmware images, updates, rollouts and diagnostics
(one router each; `api/app.py` gives each the roles it needs).

Locations handed to charge points are absolute URLs on this server: built from
`--public-url` when set, else from the base URL the operator's request came in on.
"""
