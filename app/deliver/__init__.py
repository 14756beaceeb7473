"""Delivering: when (the scheduler), one attempt of one message, and the ways out:
a destination server, MX, a local mailbox; bounces, backup copies and the delivery worker process."""
