"""Inferentia/Trainium behind a checked gate: ``inferentia check`` (the check, its rows, the record)."""
