"""`ampyre bench`: a charge point swarm load generator for sizing a deployment.

Modules: `mixes` (the OCPP payloads and message sequences), `client` (one picows charge
point), `swarm` (the run's phases), `results` (its configuration and raw results),
`histogram` (latency percentiles), `process_stats` (CPU and memory from /proc), `report`
(JSON and text), `register` (REST registration).
The command line is `ampyre.cli.bench`.
"""
