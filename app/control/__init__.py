"""The control channel: how the command line and the window command a running gateway.

Every running gateway (window, headless, service) serves it on a local address of its queue
folder (``address``): a Unix socket that only its own user and root may open, or on Windows a
named pipe whose DACL allows only its user, SYSTEM and the administrators.  Requests and replies
are lines of JSON (``protocol``); ``server`` reads them in threads and runs each on the gateway's
event loop; ``ops`` are the requests it answers; ``client`` is the other end.
"""
