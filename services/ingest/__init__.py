"""What arrives: request bodies and raw records become mention records, deduplicated and packed."""
