"""The operator web console: static HTML, CSS and JavaScript that talk to the REST API."""

from ampyre.web.console import console_routes

__all__ = ["console_routes"]
