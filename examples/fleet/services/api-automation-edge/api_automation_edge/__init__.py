"""api-automation-edge: example service of the Phase 2 fleet."""
