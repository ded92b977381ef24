"""Loaded by every Python process that ``scripts/mutation.py`` starts (it puts this folder on PYTHONPATH).

A test that runs the tool in a child process must see the same mutant, and the traced run must know
which lines such a child executed; neither does anything without the mutation run's variables.
"""

import os
import sys

if os.environ.get("CC_MUTATION_TARGET") or os.environ.get("CC_MUTATION_TRACE"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import mutation

    mutation.install_from_env()
    mutation._child_trace_from_env()
