"""Problems found while loading or validating the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """Errors fail ``make kb-check``; warnings are printed only."""

    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (file and field) and what is wrong."""

    file: str
    field: str
    message: str
    severity: Severity = Severity.error

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{self.severity.value}: {where}: {self.message}"
