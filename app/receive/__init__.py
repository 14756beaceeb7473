"""Receiving: the SMTP server (aiosmtpd, adapted), the handler that decides each command,
and the receiving worker processes.  Ends where a message is in the store."""
