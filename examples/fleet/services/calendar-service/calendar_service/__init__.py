"""calendar-service: example service of the Phase 2 fleet."""
