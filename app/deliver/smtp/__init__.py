"""SMTP to a destination server (smtplib): the session and its TLS (session.py), AUTH (auth.py),
one transaction (transaction.py), sessions kept for reuse (pool.py), the problems worded for an
admin (errors.py), the deadlines of each stage (deadlines.py); client.py puts them together.

Everything here blocks and runs in delivery threads (the scheduler's, or the delivery worker's).
"""

from app.deliver.smtp.auth import Secret, TokenSource
from app.deliver.smtp.client import LoginReport, Outgoing, connect, deliver, try_login
from app.deliver.smtp.errors import DeliveryError
from app.deliver.smtp.pool import Pool
from app.deliver.smtp.session import Destination, TlsMode

__all__ = [
    "DeliveryError",
    "Destination",
    "LoginReport",
    "Outgoing",
    "Pool",
    "Secret",
    "TlsMode",
    "TokenSource",
    "connect",
    "deliver",
    "try_login",
]
