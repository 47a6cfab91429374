"""`make bench`: Vigie measured on the embedded broker, next to references measured in the same run."""
