"""The HTTP and websocket API: ingest, configuration, metrics and the live wall."""
