"""Watching Vigie itself: Prometheus metrics, health and readiness endpoints, structured logs."""
