"""Operating-system plumbing the mail path stands on: helper processes, event loops, logs,
files, network addresses, platform paths, the password store, autostart."""
