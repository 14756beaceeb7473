"""The queue on disk: the one place a message is durable, and the message ids."""
