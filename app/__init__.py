"""Tenso (転送): an SMTP forwarding gateway.  The engine in this package imports no Qt."""

__version__ = "0.1.0"
