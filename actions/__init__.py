"""Custom actions of the pobyt assistant (thin: the logic lives in the ``pobyt`` package)."""

from actions import checks  # noqa: F401  (registers the guided checks' form actions with the SDK)
