"""Upstream accounts that sign in with OAuth 2.0: the flows (oauth.py), the token file
(tokens.py), and what delivery, the command line and the window call (service.py)."""
