"""The database layer: the only modules that write SQL text or branch on the vendor."""
