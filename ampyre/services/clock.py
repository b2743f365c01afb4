"""Time as OCPP writes it, under the name the services import it by.

The rules live in `ampyre.ocpp.v16.timestamps`, shared with the simulator.
"""

from ampyre.ocpp.v16.timestamps import format_timestamp, now, parse_timestamp

__all__ = ["format_timestamp", "now", "parse_timestamp"]
