"""Orchestration over a live cluster: discovery, pools (add-pool, status), diff, smoke, the Inferentia check."""
