"""Many cases at once: streamed JSON Lines and folders, on worker processes, in input order."""
