"""Protocol handlers: one module per OCPP 1.6 feature profile, one function per message.

A handler takes the message context and the validated request payload and returns the
response payload; the dispatcher routes by action and keeps the registration rules.
"""
