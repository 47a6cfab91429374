"""The archive of enriched mentions: kept in the database, searchable, exportable, with retention."""
