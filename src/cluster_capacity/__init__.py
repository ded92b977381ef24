"""cluster-capacity."""
