"""The REST API (`/api/v1`): the operator's and integrators' interface to the CSMS."""
