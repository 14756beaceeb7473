"""Where a recipient goes (the ordered rule table) and who may relay through Tenso."""
