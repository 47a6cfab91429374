"""History that survives: minute roll-ups of every watchlist's windows and the window state itself, kept in
the database (SQLite by default, PostgreSQL by URL) so counts, sparklines and timelines outlive a restart of
the worker, of `vigie run` and of the embedded broker.

- `rollups`: which minutes of a window state changed, and their absolute figures (pure).
- `store`: the tables, written in one transaction per flush, read by the history route.
- `sink`: what the aggregate agent hands over between two flushes.
"""
