"""Badge definitions and awards arrive with the badges issue (#4); the app is wired in now so
its migrations start from the same history as everything else."""
