"""How Vigie runs: the CLI, the supervisor, the embedded broker and Kafka helpers, health."""
