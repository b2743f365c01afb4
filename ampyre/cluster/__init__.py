"""Several Ampyre nodes as one CSMS: shared presence and node-to-node calls over Redis.

With `--redis`, each node records in Redis which charge points it holds (`presence.py`),
carries operators' commands to the node that holds the charge point (`bus.py`,
`gateway.py`), and takes turns at housekeeping (`lease.py`). `node.py` puts them together.
Without it, none of this runs and the node is the whole CSMS, as before.
"""
