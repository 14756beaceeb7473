"""The message history: what Tenso received, refused and did with each recipient, in an SQLite
file beside the queue (``history.sqlite3``), searched by ``python -m app history`` and the window.

It is a diary, never the truth about mail (the queue is): it is written after the fact, in
batches, by one thread of the main process (``writer.Recorder``), from the events the receiving
and delivering sides already send there (``records``); it keeps the envelope and a few header
fields (``summary``), never a message's content.  ``query`` reads it (``search``, ``detail``),
also while a gateway writes: SQLite's WAL lets readers and the one writer work side by side.
"""
