"""Operating-system plumbing the mail path stands on: worker processes, event loops, logs,
files, network addresses, platform paths, the password store, autostart."""
