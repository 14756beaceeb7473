"""Receiving: the SMTP server (aiosmtpd, adapted), the handler that decides each command,
and the receiving helper processes.  Ends where a message is in the store."""
