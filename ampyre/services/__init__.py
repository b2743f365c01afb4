"""Domain services: the CSMS's decisions and records, independent of transport and API."""
