"""The Faust app: topics, tables and one agent per file in streams/agents/."""
