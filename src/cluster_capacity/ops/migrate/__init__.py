"""Moving from the Helm chart: what it rendered (``chart``), and a checkout turned into a project (``checkout``)."""
