from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts.models import Team, User
from studio.projects.models import Project

NAME_MAX_LENGTH = Project._meta.get_field("name").max_length


def _clean_name(*, team: Team, name: str, exclude_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the project a name."))
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(_("A project name can have at most %(max)d characters.") % {"max": NAME_MAX_LENGTH})
    clash = Project.objects.filter(team=team, name__iexact=name).exclude(pk=exclude_id).first()
    if clash:
        if clash.is_archived:
            raise ValidationError(
                _("An archived project is already called “%(name)s”. Restore it or pick another name.")
                % {"name": clash.name}
            )
        raise ValidationError(_("This team already has a project called “%(name)s”.") % {"name": clash.name})
    return name


def project_create(*, team: Team, name: str, user: User) -> Project:
    return Project.objects.create(team=team, name=_clean_name(team=team, name=name), created_by=user)


def project_rename(*, project: Project, name: str) -> Project:
    project.name = _clean_name(team=project.team, name=name, exclude_id=project.pk)
    project.save(update_fields=["name", "updated_at"])
    return project


def project_archive(*, project: Project) -> Project:
    project.archived_at = timezone.now()
    project.save(update_fields=["archived_at", "updated_at"])
    return project


def project_restore(*, project: Project) -> Project:
    project.archived_at = None
    project.save(update_fields=["archived_at", "updated_at"])
    return project
