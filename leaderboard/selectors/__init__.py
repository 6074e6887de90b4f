"""Every read: site state and counters, rankings, history, usage exports, and the page
assemblies the views call (frozen dataclasses or querysets). A read may fill a stored ranking
on first use (through leaderboard.services.rankings); it never writes anything else."""
