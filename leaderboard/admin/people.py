"""People, teams and provider accounts (and the logins they sign in with)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from leaderboard.domain.directory import DirectoryFormatError
from leaderboard.models import Account, Person, Team, User, total_tokens
from leaderboard.services import accounts, people

SHOWN_PROBLEMS = 20  # directory import problems shown after an upload


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    """Django's user admin, except that joining or leaving the managers group goes through
    people.set_manager: admin access comes and goes with it, and the audit trail says who."""

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm[User],
        formsets: Sequence[object],
        change: bool,
    ) -> None:
        managers = form.instance.groups.filter(name=people.MANAGERS)
        was = managers.exists()
        super().save_related(request, form, formsets, change)
        if (now := managers.exists()) != was:
            staff = cast("User", request.user)  # the admin lets only signed-in staff in
            people.set_manager(user=form.instance, manager=now, by=staff)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = ["name", "member_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        teams: QuerySet[Team] = super().get_queryset(request)
        return teams.annotate(member_count=Count("members"))

    @admin.display(ordering="member_count")
    def member_count(self, team: Team) -> int:
        # get_queryset's annotation, unknown to the model
        count: int = team.member_count  # type: ignore[attr-defined]
        return count


class AccountInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = Account
    fk_name = "person"  # the accounts credited to the person, not the agents they own
    fields = readonly_fields = ("provider", "external_id", "email", "kind", "matched_by")
    extra = 0
    can_delete = False
    show_change_link = True


class DirectoryForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: email, name, team, manager_email.")


class ExclusionActionForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=people.EXCLUSION_REASON_MAX,
        help_text="Why (shown to the person): needed to exclude from ranking.",
    )


class AgentOwnerForm(forms.Form):
    """The owner an account marked as an agent gets: a person (by e-mail) or a team."""

    owner_email = forms.EmailField(
        required=False, label="Owner's e-mail", help_text="A person who owns the agent."
    )
    owner_team = forms.ModelChoiceField(Team.objects.all(), required=False, label="or owner team")

    def clean_owner_email(self) -> Person | None:
        email = self.cleaned_data["owner_email"]
        if not email:
            return None
        person = Person.objects.filter(email__iexact=email).first()
        if person is None:
            raise forms.ValidationError(f"Nobody in the directory has the e-mail {email}.")
        return person


class AgentActionForm(AgentOwnerForm, ActionForm):
    """The account list's actions, with the owner to give agents (looked up by the action,
    which says what is wrong: Django's check of this form would only say "No action")."""

    def clean_owner_email(self) -> str:  # type: ignore[override]  # the e-mail as given
        email: str = self.cleaned_data["owner_email"]
        return email


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = [
        "display_name",
        "email",
        "team",
        "manager",
        "visibility",
        "excluded_from_ranking",
        "user",
    ]
    list_filter = ["team", "excluded_from_ranking"]
    list_select_related = ["team", "user", "manager"]
    search_fields = ["display_name", "email"]
    show_facets = admin.ShowFacets.ALWAYS
    inlines = [AccountInline]
    autocomplete_fields = ["manager"]
    # The person's own choice, and who they are: sign-in alone links a user, since whoever
    # holds the link may act as the person (their privacy choice, their page).
    # Exclusion from ranking is set by the actions below, which audit it and ask for a reason.
    readonly_fields = [
        "user",
        "visibility",
        "pseudonym",
        "excluded_from_ranking",
        "exclusion_reason",
    ]
    action_form = ExclusionActionForm
    actions = ["exclude_from_ranking", "include_in_ranking"]

    @admin.action(description="Exclude from ranking (give a reason)")
    def exclude_from_ranking(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        self._set_exclusion(request, queryset, excluded=True)

    @admin.action(description="Include in ranking again")
    def include_in_ranking(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        self._set_exclusion(request, queryset, excluded=False)

    def _set_exclusion(
        self, request: HttpRequest, queryset: QuerySet[Person], *, excluded: bool
    ) -> None:
        staff = cast("User", request.user)  # the admin lets only signed-in staff in
        reason = request.POST.get("reason", "")
        try:
            changed = people.set_ranking_exclusion(
                people=queryset, excluded=excluded, reason=reason, by=staff
            )
        except people.ExclusionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        verb = "excluded from" if excluded else "included in"
        self.message_user(request, f"{len(changed)} people {verb} ranking.")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="leaderboard_person_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = DirectoryForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = people.import_people(stream=form.cleaned_data["file"].file)
            except DirectoryFormatError as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(
                    request, f"{result.created} people created, {result.updated} updated."
                )
                # The first few: a message each for a whole file of bad lines would not fit
                # the session.
                for problem in result.problems[:SHOWN_PROBLEMS]:
                    self.message_user(
                        request, f"Line {problem.line}: {problem.reason}", messages.WARNING
                    )
                if len(result.problems) > SHOWN_PROBLEMS:
                    self.message_user(
                        request,
                        f"… and {len(result.problems) - SHOWN_PROBLEMS:,} more problem(s); "
                        "`manage.py import_people` lists them all.",
                        messages.WARNING,
                    )
                return redirect("admin:leaderboard_person_changelist")
        return render(
            request,
            "admin/import_form.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Import directory",
                "form": form,
                "help": "People are matched by e-mail (any case): new ones are created, existing "
                "ones updated. Their provider accounts are linked at once.",
            },
        )

    def save_model(
        self, request: HttpRequest, obj: Person, form: forms.ModelForm[Person], change: bool
    ) -> None:
        people.save_person(person=obj)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic in the stubs only
    list_display = [
        "__str__",
        "provider",
        "kind",
        "email",
        "owner_email",
        "total_tokens",
        "last_day",
        "person",
        "matched_by",
    ]
    list_editable = ["person"]
    list_filter = ["provider", "kind", ("person", admin.EmptyFieldListFilter), "matched_by"]
    list_select_related = ["person", "owner_person", "owner_team"]
    search_fields = ["external_id", "email", "owner_email", "name", "person__display_name"]
    show_facets = admin.ShowFacets.ALWAYS
    readonly_fields = [
        "provider",
        "external_id",
        "kind",
        "email",
        "name",
        "owner_email",
        "matched_by",
        "owner_person",  # an agent's owner: set by the actions below, which audit it
        "owner_team",
        "first_seen",
    ]
    autocomplete_fields = ["person"]
    fields = ["person", *readonly_fields]
    action_form = AgentActionForm
    actions = ["mark_agent", "unmark_agent"]

    @admin.action(description="Mark as an agent (choose its owner below)")
    def mark_agent(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        form = AgentOwnerForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                self.message_user(request, " ".join(str(e) for e in errors), messages.ERROR)
            return
        owner, team = form.cleaned_data["owner_email"], form.cleaned_data["owner_team"]
        self._set_agent(request, queryset, agent=True, owner=owner, team=team)

    @admin.action(description="Mark as a person's account again (not an agent)")
    def unmark_agent(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        self._set_agent(request, queryset, agent=False, owner=None, team=None)

    def _set_agent(
        self,
        request: HttpRequest,
        queryset: QuerySet[Account],
        *,
        agent: bool,
        owner: Person | None,
        team: Team | None,
    ) -> None:
        staff = cast("User", request.user)  # the admin lets only signed-in staff in
        try:
            done = accounts.set_agent(
                accounts=queryset, agent=agent, owner_person=owner, owner_team=team, by=staff
            )
        except accounts.AttributionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        what = "agents" if agent else "people's accounts"
        self.message_user(request, f"{len(done)} account(s) marked as {what}.")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        queryset: QuerySet[Account] = super().get_queryset(request)
        return queryset.annotate(
            usage_tokens=Sum(total_tokens("usage__")), usage_last_day=Max("usage__day")
        )

    @admin.display(description="Usage (tokens)", ordering="usage_tokens")
    def total_tokens(self, account: Account) -> str:
        # get_queryset's annotation, unknown to the model
        return f"{account.usage_tokens or 0:,}"  # type: ignore[attr-defined]

    @admin.display(description="Last usage", ordering="usage_last_day")
    def last_day(self, account: Account) -> dt.date | None:
        # get_queryset's annotation, unknown to the model
        day: dt.date | None = account.usage_last_day  # type: ignore[attr-defined]
        return day

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Account, form: forms.ModelForm[Account], change: bool
    ) -> None:
        """Assigning a person goes through the service, so the whole history moves with it."""
        if "person" in form.changed_data:
            try:
                accounts.attribute_account(
                    account=obj, person=obj.person, by=cast("User", request.user)
                )
            except accounts.AttributionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
