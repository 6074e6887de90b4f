"""Every write to the leaderboard's data, one module per part of the domain (people, accounts,
usage, boards, the stored-ranking fill, audit, the outbox). Callers import the module they
need; nothing is re-exported here."""
