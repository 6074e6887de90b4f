"""The database layer: the only code that writes SQL text or asks which database it talks to.

Part of the design lives in PostgreSQL itself, made by migrations (RunPython with SQL), so
every writer keeps it (the ORM, bulk SQL, COPY merges, the admin, a prune) whether or not it
remembers to. Alive at head on PostgreSQL, by what they keep, with the migration that made
them (a trigger "on" a table fires on that table):

The usage version (leaderboard_usageversion: stored rankings and cached pages are keyed by
it) moves after any statement on accounts, people, teams or sources (which also sets its
`everything` to the new number), and after a statement on the facts that changed a row
(which notes the new number against each day it touched, in leaderboard_usageday: a scope's
version is the greater of `everything` and its days' numbers; 0033_versions_per_day replaced
both functions' bodies, names kept, and the update trigger, to read the old rows' days too).
    leaderboard.0009_ranked_scopes: function leaderboard_bump_usage_version; triggers
        leaderboard_account_bumps_version      on leaderboard_account
        leaderboard_person_bumps_version       on leaderboard_person
        leaderboard_team_bumps_version         on leaderboard_team
        leaderboard_source_bumps_version       on leaderboard_source
    leaderboard.0016_usage_version_moves_on_changed_facts: function
    leaderboard_bump_usage_version_if_changed; triggers
        leaderboard_usagefact_insert_bumps_version  on leaderboard_usagefact
        leaderboard_usagefact_delete_bumps_version  on leaderboard_usagefact
    leaderboard.0033_versions_per_day: trigger
        leaderboard_usagefact_update_bumps_version  on leaderboard_usagefact

The monthly totals (leaderboard_usagemonth) follow the facts not held for gaming review,
statement by statement (0028_usage_fact_held_gaming_flags replaced the three functions'
bodies, names kept, to skip held facts: holding or clearing a day is an UPDATE of held).
    leaderboard.0010_usage_months: functions leaderboard_usagemonth_insert,
    leaderboard_usagemonth_update, leaderboard_usagemonth_delete; triggers
        leaderboard_usagefact_insert_months    on leaderboard_usagefact
        leaderboard_usagefact_update_months    on leaderboard_usagefact
        leaderboard_usagefact_delete_months    on leaderboard_usagefact

The boards version (leaderboard_siteswitch.boards_version: pages cache the boards by it)
moves after any statement on boards, their teams and sources, teams or sources.
    leaderboard.0012_siteswitch_boards_version: function leaderboard_bump_boards_version;
    triggers
        leaderboard_board_bumps_boards         on leaderboard_board
        leaderboard_board_teams_bumps_boards   on leaderboard_board_teams
        leaderboard_board_sources_bumps_boards on leaderboard_board_sources
        leaderboard_team_bumps_boards          on leaderboard_team
        leaderboard_source_bumps_boards        on leaderboard_source

References are checked once per statement instead of by foreign keys once per row (facts to
accounts and sources, awards to people and badges), and deleting a row still referred to
fails at commit (constraint triggers on the referenced tables).
    leaderboard.0014_usage_fact_references_checked_per_statement: functions
    tokenboard_check_references, tokenboard_check_unreferenced; triggers
        leaderboard_usagefact_insert_references      on leaderboard_usagefact
        leaderboard_usagefact_update_references      on leaderboard_usagefact
        leaderboard_usagefact_account_id_still_used  on leaderboard_account
        leaderboard_usagefact_source_id_still_used   on leaderboard_source
    badges.0006_award_references_checked_per_statement: triggers (0014's functions)
        badges_award_insert_references         on badges_award
        badges_award_update_references         on badges_award
        badges_award_person_id_still_used      on leaderboard_person
        badges_award_badge_id_still_used       on badges_badge

The badge version (badges_badgeversion: standings rows are cached by it) moves after any
statement on badges, awards (not one that updates only noticed_at) or displayed titles.
    badges.0004_badge_version: function badges_bump_version; triggers
        badges_badge_bumps_version             on badges_badge
        badges_displayedtitle_bumps_version    on badges_displayedtitle
    badges.0005_noticing_keeps_badge_version: triggers
        badges_award_bumps_version             on badges_award (insert, delete)
        badges_award_update_bumps_version      on badges_award (update of a shown column)

SQLite (a laptop) keeps its foreign keys and has row triggers of its own for the three
versions (the same migrations, and leaderboard.0013); it has no monthly totals.

TRIGGERS and FUNCTIONS below say the same for code. tests/test_database_layout.py compares
them with a migrated PostgreSQL database, so a migration that adds, drops or renames a
trigger or function lists it here (and above) in the same change.
"""

from __future__ import annotations

# (table, trigger) -> the migration that made it (app_label.migration_name)
TRIGGERS: dict[tuple[str, str], str] = {
    ("leaderboard_account", "leaderboard_account_bumps_version"): "leaderboard.0009_ranked_scopes",
    ("leaderboard_person", "leaderboard_person_bumps_version"): "leaderboard.0009_ranked_scopes",
    ("leaderboard_team", "leaderboard_team_bumps_version"): "leaderboard.0009_ranked_scopes",
    ("leaderboard_source", "leaderboard_source_bumps_version"): "leaderboard.0009_ranked_scopes",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_insert_bumps_version",
    ): "leaderboard.0016_usage_version_moves_on_changed_facts",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_update_bumps_version",
    ): "leaderboard.0033_versions_per_day",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_delete_bumps_version",
    ): "leaderboard.0016_usage_version_moves_on_changed_facts",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_insert_months",
    ): "leaderboard.0010_usage_months",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_update_months",
    ): "leaderboard.0010_usage_months",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_delete_months",
    ): "leaderboard.0010_usage_months",
    (
        "leaderboard_board",
        "leaderboard_board_bumps_boards",
    ): "leaderboard.0012_siteswitch_boards_version",
    (
        "leaderboard_board_teams",
        "leaderboard_board_teams_bumps_boards",
    ): "leaderboard.0012_siteswitch_boards_version",
    (
        "leaderboard_board_sources",
        "leaderboard_board_sources_bumps_boards",
    ): "leaderboard.0012_siteswitch_boards_version",
    (
        "leaderboard_team",
        "leaderboard_team_bumps_boards",
    ): "leaderboard.0012_siteswitch_boards_version",
    (
        "leaderboard_source",
        "leaderboard_source_bumps_boards",
    ): "leaderboard.0012_siteswitch_boards_version",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_insert_references",
    ): "leaderboard.0014_usage_fact_references_checked_per_statement",
    (
        "leaderboard_usagefact",
        "leaderboard_usagefact_update_references",
    ): "leaderboard.0014_usage_fact_references_checked_per_statement",
    (
        "leaderboard_account",
        "leaderboard_usagefact_account_id_still_used",
    ): "leaderboard.0014_usage_fact_references_checked_per_statement",
    (
        "leaderboard_source",
        "leaderboard_usagefact_source_id_still_used",
    ): "leaderboard.0014_usage_fact_references_checked_per_statement",
    (
        "badges_award",
        "badges_award_insert_references",
    ): "badges.0006_award_references_checked_per_statement",
    (
        "badges_award",
        "badges_award_update_references",
    ): "badges.0006_award_references_checked_per_statement",
    (
        "leaderboard_person",
        "badges_award_person_id_still_used",
    ): "badges.0006_award_references_checked_per_statement",
    (
        "badges_badge",
        "badges_award_badge_id_still_used",
    ): "badges.0006_award_references_checked_per_statement",
    ("badges_badge", "badges_badge_bumps_version"): "badges.0004_badge_version",
    ("badges_displayedtitle", "badges_displayedtitle_bumps_version"): "badges.0004_badge_version",
    (
        "badges_award",
        "badges_award_bumps_version",
    ): "badges.0005_noticing_keeps_badge_version",
    (
        "badges_award",
        "badges_award_update_bumps_version",
    ): "badges.0005_noticing_keeps_badge_version",
}

# SQL function (schema public) -> the migration that made it
FUNCTIONS: dict[str, str] = {
    "leaderboard_bump_usage_version": "leaderboard.0009_ranked_scopes",
    "leaderboard_usagemonth_insert": "leaderboard.0010_usage_months",
    "leaderboard_usagemonth_update": "leaderboard.0010_usage_months",
    "leaderboard_usagemonth_delete": "leaderboard.0010_usage_months",
    "leaderboard_bump_boards_version": "leaderboard.0012_siteswitch_boards_version",
    "tokenboard_check_references": "leaderboard.0014_usage_fact_references_checked_per_statement",
    "tokenboard_check_unreferenced": "leaderboard.0014_usage_fact_references_checked_per_statement",
    "leaderboard_bump_usage_version_if_changed": (
        "leaderboard.0016_usage_version_moves_on_changed_facts"
    ),
    "badges_bump_version": "badges.0004_badge_version",
}
