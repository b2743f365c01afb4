"""OCPP-J 1.6 transport: WebSocket endpoint, RPC framing, schema validation."""
