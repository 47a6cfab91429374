"""Alert delivery: endpoints, the target guard, channel formats, retries, the delivery log and the deliverer.

The notifier enqueues each alert event for its endpoints (`DeliveryStore.enqueue`, idempotent) and loops
`Deliverer.run_due()`; the API reads the log (`DeliveryStore.attempts`, `list_failed`) and redelivers.
"""
