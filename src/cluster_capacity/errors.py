"""Errors raised by cluster-capacity, and the exit code each one maps to.

    CapacityError                 root; exit 1
    ├── ConfigError               invalid input: values, project file, flags; exit 2
    ├── ValidationError           rendered manifests break a CRD schema or a policy; exit 1
    ├── ClusterError              the Kubernetes API refused or failed; exit 1
    └── AwsError                  an AWS API refused or failed; exit 1

Third-party errors (PyYAML, pydantic, the kubernetes client, botocore) are translated into these at
the one boundary that calls the library, keeping the original message or error code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID_INPUT = 2
EXIT_DRIFT = 3


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can: ``FILE:LINE: path: message``."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        if not self.file:
            return f"{self.path}: {self.message}" if self.path else self.message
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


class CapacityError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = EXIT_FAILED

    def lines(self) -> list[str]:
        """The lines to show a person, one problem each."""
        return [str(self)]


class ConfigError(CapacityError):
    """The input (values files, project file, flags) is invalid. Carries every problem found."""

    exit_code = EXIT_INVALID_INPUT

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", 0, "", problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class ValidationError(CapacityError):
    """Rendered manifests break a CRD schema or a policy rule."""

    def __init__(self, findings: Iterable[object]) -> None:
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))

    def lines(self) -> list[str]:
        return [str(f) for f in self.findings]


class ClusterError(CapacityError):
    """The Kubernetes API refused a request or could not be reached."""


class AwsError(CapacityError):
    """An AWS API refused a request, or credentials are missing."""
