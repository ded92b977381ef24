"""Node pools on a live cluster: adding one (``add-pool``), its Machines, and its status."""
