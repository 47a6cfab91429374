"""Rolling event-time windows of counts and sentiment per watchlist."""
