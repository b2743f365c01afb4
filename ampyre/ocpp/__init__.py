"""The OCPP protocol itself, pure: no sockets, no database, no domain rules.

One package per protocol version (`v16`: OCPP-J 1.6 and its security extension), shared
by the server and the charge point simulator and testable without either.
"""
