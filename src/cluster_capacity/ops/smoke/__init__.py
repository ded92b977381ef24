"""The "Hello GPU" smoke test: run, steps, the pod, the report, and the ``nvidia-smi`` parser."""
