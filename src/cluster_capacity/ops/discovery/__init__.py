"""What a live cluster is (``discover``), how the env's config differs from it, and scaffolding an env (``init``)."""
