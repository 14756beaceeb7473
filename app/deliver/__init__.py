"""Delivering: when (the scheduler), one attempt of one message (attempt, recipients), and the ways
out behind one interface (couriers/: a rule's server, Microsoft Graph, MX, a local mailbox) with the
SMTP client they share (smtp/); bounces, backup copies and the delivery worker process."""
