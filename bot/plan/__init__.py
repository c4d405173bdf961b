"""Plan: the jobs (service x recipe), their branch names and waves, which a run may open now, and shards."""
