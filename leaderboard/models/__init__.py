"""The leaderboard's models, one module per part of the domain; import them from here.

people: User, Team, Person. usage: Source, Account, UsageFact, UsageMonth, ModelPrice.
boards: Board, BoardSnapshot, BoardStatusChange, SiteSwitch, AuditEvent, PageView.
rankings: UsageVersion, UsageDay, RankedScope, Place. outbox: PendingTask. review: GamingRule, Flag.
"""

from .boards import AuditEvent, Board, BoardSnapshot, BoardStatusChange, PageView, SiteSwitch
from .outbox import PendingTask
from .people import (
    Person,
    Team,
    User,
    default_visibility,
    new_pseudonym,
    new_public_id,
)
from .rankings import Place, RankedScope, UsageDay, UsageVersion
from .review import Flag, GamingRule
from .usage import Account, ModelPrice, Source, UsageFact, UsageMonth, total_tokens

__all__ = [
    "Account",
    "AuditEvent",
    "Board",
    "BoardSnapshot",
    "BoardStatusChange",
    "Flag",
    "GamingRule",
    "ModelPrice",
    "PageView",
    "PendingTask",
    "Person",
    "Place",
    "RankedScope",
    "SiteSwitch",
    "Source",
    "Team",
    "UsageDay",
    "UsageFact",
    "UsageMonth",
    "UsageVersion",
    "User",
    "default_visibility",
    "new_pseudonym",
    "new_public_id",
    "total_tokens",
]
