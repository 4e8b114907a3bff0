"""Teams and their members, as admins manage them from the console. Every change is in the audit log."""

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from studio.accounts.models import Membership, Role, Team, User
from studio.audit.models import AuditAction
from studio.audit.services import audit_record

TEAM_NAME_MAX_LENGTH = Team._meta.get_field("name").max_length


def team_create(*, name: str, actor: User) -> Team:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the team a name."))
    if len(name) > TEAM_NAME_MAX_LENGTH:
        raise ValidationError(_("A team name can have at most %(max)d characters.") % {"max": TEAM_NAME_MAX_LENGTH})
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationError(_("There is already a team called “%(name)s”.") % {"name": name})
    with transaction.atomic():
        team = Team.objects.create(name=name)
        Membership.objects.create(team=team, user=actor, role=Role.ADMIN)  # someone must be able to manage it
        audit_record(actor=actor, action=AuditAction.TEAM_CREATED, target=team, team=team)
    return team


def member_add(*, team: Team, who: str, role: str, actor: User) -> tuple[Membership, str]:
    """Adds an existing user by username or email, or invites a new one by email.

    Returns the membership and, for a new user, the path of a one-time link to choose a password
    (valid for PASSWORD_RESET_TIMEOUT) that the admin passes on; "" for an existing user.
    """
    who = who.strip()
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    if not who:
        raise ValidationError(_("Enter a username or an email address."))
    user, invite_path = _find_user(who), ""
    with transaction.atomic():
        if user is None:
            user = _invite(who)
            invite_path = password_link(user)
        if Membership.objects.filter(team=team, user=user).exists():
            raise ValidationError(_("%(user)s is already in %(team)s.") % {"user": user.username, "team": team.name})
        membership = Membership.objects.create(team=team, user=user, role=role)
        audit_record(
            actor=actor, action=AuditAction.MEMBER_ADDED, target=f"{user.username} in {team.name}", team=team,
            role=role, invited=bool(invite_path),
        )  # fmt: skip
    return membership, invite_path


def member_change(*, membership: Membership, role: str, monthly_limit: int | None, actor: User) -> Membership:
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    if monthly_limit is not None and monthly_limit < 0:
        raise ValidationError(_("A monthly limit is a whole number of points, or empty for none."))
    target = f"{membership.user.username} in {membership.team.name}"
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user", "team").get(pk=membership.pk)
        if membership.role == Role.ADMIN and role != Role.ADMIN:
            _keep_an_admin(membership)
        if membership.role != role:
            audit_record(
                actor=actor, action=AuditAction.ROLE_CHANGED, target=target, team=membership.team,
                role=[membership.role, role],
            )  # fmt: skip
        if membership.monthly_points_limit != monthly_limit:
            audit_record(
                actor=actor, action=AuditAction.LIMIT_CHANGED, target=target, team=membership.team,
                monthly_points_limit=[membership.monthly_points_limit, monthly_limit],
            )  # fmt: skip
        membership.role, membership.monthly_points_limit = role, monthly_limit
        membership.save(update_fields=["role", "monthly_points_limit"])
    return membership


def member_remove(*, membership: Membership, actor: User) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user", "team").get(pk=membership.pk)
        if membership.role == Role.ADMIN:
            _keep_an_admin(membership)
        audit_record(
            actor=actor, action=AuditAction.MEMBER_REMOVED, team=membership.team,
            target=f"{membership.user.username} in {membership.team.name}", role=membership.role,
        )  # fmt: skip
        membership.delete()


def password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


def _keep_an_admin(membership: Membership) -> None:
    others = Membership.objects.filter(team=membership.team, role=Role.ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(
            _("%(user)s is the last admin of %(team)s: make someone else admin first.")
            % {"user": membership.user.username, "team": membership.team.name}
        )


def _find_user(who: str) -> User | None:
    user = User.objects.filter(username__iexact=who).first()
    if user is not None or "@" not in who:
        return user
    by_email = list(User.objects.filter(email__iexact=who)[:2])
    if len(by_email) > 1:
        raise ValidationError(_("Several people use this email address: enter the username instead."))
    return by_email[0] if by_email else None


def _invite(who: str) -> User:
    try:
        validate_email(who)
    except ValidationError:
        raise ValidationError(
            _("No one is called “%(who)s”. To invite someone new, enter their email address.") % {"who": who}
        ) from None
    longest = User._meta.get_field("username").max_length  # the address becomes the username
    if len(who) > longest:
        raise ValidationError(
            _("This email address is %(length)d characters long; an invited address can have at most %(max)d.")
            % {"length": len(who), "max": longest}
        )
    user = User(username=who.lower(), email=who.lower())
    user.set_unusable_password()
    user.save()
    return user
