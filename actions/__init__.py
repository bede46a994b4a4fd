"""Custom actions of the pobyt assistant (thin: the logic lives in the ``pobyt`` package)."""
