"""Hashtag swarms, influence and coordination over the enriched stream."""
