from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Studio's user. Kept as our own model from day one so it can grow without a painful swap."""

    # Studio-wide, above every team: vendor accounts and keys, the catalogue and prices, every team's points,
    # the whole audit log. Superusers are operators too.
    is_operator = models.BooleanField(_("studio operator"), default=False)

    @property
    def operates_studio(self) -> bool:
        return self.is_active and (self.is_operator or self.is_superuser)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    # A budget set by an operator: each month starts with the wallet topped up to this many points (never
    # taken down to it); empty for none, when points come only from grants (studio/points/budgets.py).
    monthly_budget = models.PositiveIntegerField(_("monthly budget"), null=True, blank=True)
    budget_month = models.DateField(null=True, blank=True, editable=False)  # the month last topped up
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    REVIEWER = "reviewer", _("Reviewer")
    ADMIN = "admin", _("Admin")


class Membership(models.Model):
    """A user's place in a team. The role is per team: one person can be admin here, staff there."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STAFF)
    monthly_points_limit = models.PositiveIntegerField(
        _("monthly points limit"), null=True, blank=True, help_text=_("Empty: no limit of their own.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership_per_team")]
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def can_edit(self) -> bool:
        """Create and change projects and assets (and, later, compose runs)."""
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def can_review(self) -> bool:
        return self.role in (Role.REVIEWER, Role.ADMIN)

    @property
    def can_manage_team(self) -> bool:
        return self.role == Role.ADMIN
