"""Pure values of mail: addresses, relay networks, header counts, forward.txt lines, and what an
upstream's refusal means (replies/).  No I/O."""
