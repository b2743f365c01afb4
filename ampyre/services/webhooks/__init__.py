"""Webhooks: the live events (`services/events.py`) POSTed, signed, to integrators' URLs.

`rules` the pure rules (signature, retry schedule, event types), `subscriptions` the
subscriptions and their delivery log, `delivery` the tasks that fill the outbox and send
from it, `outbox_table` the outbox's rows in SQL.
"""
