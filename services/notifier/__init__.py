"""The notifier: alert events in, deliveries out, to the right people, once, with escalation and repeats."""
