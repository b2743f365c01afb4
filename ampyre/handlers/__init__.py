"""Protocol handlers: one module per OCPP 1.6 feature profile, one function per message.

A handler takes the message context and the typed request (`ocpp/v16/messages.py`), calls
services with domain arguments and turns their domain result into the typed confirmation;
the dispatcher converts payloads to and from those types, routes by action and keeps the
registration rules.
"""
