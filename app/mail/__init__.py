"""Pure values of mail: addresses, relay networks, header counts, forward.txt lines.  No I/O."""
