"""Connectors: real sources (Bluesky, Mastodon, RSS/Atom, file replay) publishing to vigie.mentions.raw.

Each source turns its protocol into `Event`s; `services.connectors.base.ConnectorRunner` does the rest
(filter, batch, publish, persist the cursor after the broker's ack, reconnect with backoff).
"""
