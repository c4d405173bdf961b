"""ai-automation-service-new: example service of the Phase 2 fleet."""
