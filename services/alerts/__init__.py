"""Alerts: rules evaluated as metrics change, a lifecycle with fingerprints, silences and history."""
