"""OCPP-J 1.6: RPC framing, error codes, schema validation and lenient repairs."""
