from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts.models import Team, User
from studio.projects.models import Project, PromptPreset

NAME_MAX_LENGTH = Project._meta.get_field("name").max_length
PRESET_NAME_MAX_LENGTH = PromptPreset._meta.get_field("name").max_length
PRESET_TEXT_MAX_LENGTH = PromptPreset._meta.get_field("text").max_length


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


def preset_save(*, project: Project, name: str, text: str, user: User) -> tuple[PromptPreset, bool]:
    """Saves a prompt under a name; a name already used (in any case) is overwritten. Returns (preset, created)."""
    name, text = " ".join(name.split()), text.strip()
    errors = {}
    if not name:
        errors["preset_name"] = _("Give the preset a name.")
    elif len(name) > PRESET_NAME_MAX_LENGTH:
        errors["preset_name"] = _("A preset name can have at most %(max)d characters.") % {
            "max": PRESET_NAME_MAX_LENGTH
        }
    if not text:
        errors["prompt"] = _("Write a prompt first: a preset saves the prompt as it is.")
    elif len(text) > PRESET_TEXT_MAX_LENGTH:
        errors["prompt"] = _("A preset can hold at most %(max)d characters.") % {"max": PRESET_TEXT_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    preset = PromptPreset.objects.filter(project=project, name__iexact=name).first()
    if preset:
        preset.name, preset.text, preset.created_by = name, text, user
        preset.save(update_fields=["name", "text", "created_by", "updated_at"])
        return preset, False
    try:
        with transaction.atomic():
            return PromptPreset.objects.create(project=project, name=name, text=text, created_by=user), True
    except IntegrityError:
        raise ValidationError(
            {"preset_name": _("Someone saved a preset with this name just now. Save again to replace it.")}
        ) from None


def preset_delete(*, project: Project, preset_id: int) -> PromptPreset | None:
    preset = PromptPreset.objects.filter(project=project, pk=preset_id).first()
    if preset:
        preset.delete()
    return preset
