"""Alerts: telling the administrator, by another way than the mail itself, that mail has stopped.

conditions.py finds what is wrong now (from the status counts, the queue, the accounts, the disk);
decide.py, pure, turns that and what was told before into notices (started, repeated, ended);
state.py keeps what was told, and the marker of a running gateway, in the queue folder;
channels.py tells it (the log, the Windows Event Log, a webhook, a mail); summary.py words the
daily summary; watcher.py runs it all once a minute beside the gateway.
"""
