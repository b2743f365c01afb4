"""Ampyre: an OCPP 1.6-J Charging Station Management System."""

__version__ = "0.1.0"
