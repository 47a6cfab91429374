"""Connectors: real sources (Bluesky, Mastodon, RSS/Atom, file replay) publishing to vigie.mentions.raw.

Each source turns its protocol into `Event`s; `services.connectors.base.ConnectorRunner` does the rest
(filter, batch, publish, persist the cursor after the broker's ack, reconnect with backoff). A connector
runs as its own process (`vigie connect`, VIGIE_CONNECTORS) or, when configured through the API, as a task
of `vigie connectors` (host.py).
"""
