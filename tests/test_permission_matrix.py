"""Every URL × {anonymous, staff, reviewer, team admin, studio operator} of the owning team, and an admin of
another team. A URL added without its row here fails `test_every_url_has_its_row`.

Letters, in the order of WHO: A allowed (anything but the four below), F forbidden (403), N not found
(404: another team's things are not revealed), L sent to sign in.
"""

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from studio.assets.ingest import asset_ingest
from studio.projects.models import PromptPreset
from studio.runs.models import Task
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import offerings_load
from tests import images
from tests.conftest import client_for
from tests.images import upload
from tests.review.factories import make_output, make_run

WHO = ("anonymous", "staff", "reviewer", "admin", "operator", "outsider")
PUBLIC, EVERYONE_404 = "AAAAAA", "NNNNNN"
TEAM_READ, TEAM_EDIT, TEAM_REVIEW = "LAAANN", "LAFANN", "LFAANN"
CONSOLE_TEAM_ADMIN, CONSOLE_OWN_TEAM, OPERATOR_ONLY = "LFFAAA", "LFFAAN", "LFFFAF"

# name: (method, the objects its URL names, form data, expected letters)
MATRIX = {
    "healthz": ("get", (), {}, PUBLIC),
    "healthz_live": ("get", (), {}, PUBLIC),
    "login": ("get", (), {}, PUBLIC),
    "logout": ("post", (), {}, "LLLLLL"),  # signed out, and so sent to sign in
    "password_reset_confirm": ("get", ("uid", "token"), {}, PUBLIC),
    "password_reset_complete": ("get", (), {}, PUBLIC),
    "set_language": ("post", (), {"language": "zh-hans"}, PUBLIC),
    "team_switch": ("post", (), {"team": "{team}"}, "LAAANN"),
    "assets:vendor_input": ("get", ("token", "filename"), {}, EVERYONE_404),
    "projects:list": ("get", (), {}, "LAAAAA"),
    "projects:create": ("post", (), {"name": "Winter"}, "LAFAFA"),
    "projects:detail": ("get", ("project",), {}, TEAM_READ),
    "projects:rename": ("post", ("project",), {"name": "Renamed"}, TEAM_EDIT),
    "projects:archive": ("post", ("project",), {}, TEAM_EDIT),
    "projects:restore": ("post", ("project",), {}, TEAM_EDIT),
    "assets:upload": ("post", ("project",), {}, TEAM_EDIT),
    "assets:bulk": ("post", ("project",), {"action": "set_role", "role": "reference", "asset": "{asset}"}, TEAM_EDIT),
    "assets:thumbnail": ("get", ("asset",), {}, TEAM_READ),
    "assets:original": ("get", ("asset",), {}, TEAM_READ),
    "runs:compose": ("get", ("project",), {}, TEAM_EDIT),
    "runs:estimate": ("post", ("project",), {}, TEAM_EDIT),
    "runs:submit": ("post", ("project",), {}, TEAM_EDIT),
    "runs:preset_save": ("post", ("project",), {"preset_name": "Terrace", "param_prompt": "on a terrace"}, TEAM_EDIT),
    "runs:preset_delete": ("post", ("project", "preset"), {}, TEAM_EDIT),
    "runs:list": ("get", ("project",), {}, TEAM_READ),
    "runs:activity": ("get", (), {}, "LAAAAA"),
    "runs:notices": ("get", (), {}, "LAAAAA"),
    "runs:project_retry": ("post", ("project",), {}, TEAM_EDIT),
    "runs:detail": ("get", ("run",), {}, TEAM_READ),
    "runs:progress": ("get", ("run",), {}, TEAM_READ),
    "runs:cancel": ("post", ("run",), {}, TEAM_EDIT),
    "runs:retry": ("post", ("run",), {}, TEAM_EDIT),
    "runs:resend_uncertain": ("post", ("run",), {"accept_double_charge": "1"}, TEAM_EDIT),
    "runs:output": ("get", ("output", "thumbnail"), {}, TEAM_READ),
    "runs:catalogue_preview": ("get", ("account", "faces", "face-1"), {}, "LNNNNN"),
    "review:project": ("get", ("project",), {}, TEAM_READ),
    "review:bulk": ("post", ("project",), {"action": "approve", "output": "{output}"}, TEAM_REVIEW),
    "review:download": ("get", ("project",), {}, TEAM_READ),
    "review:run": ("get", ("run",), {}, TEAM_READ),
    "review:run_bulk": ("post", ("run",), {"action": "approve", "output": "{output}"}, TEAM_REVIEW),
    "review:viewer": ("get", ("output",), {}, TEAM_READ),
    "review:review": ("post", ("output",), {"action": "approve"}, TEAM_REVIEW),
    "review:output_download": ("get", ("output",), {}, TEAM_READ),
    "review:more": ("post", ("output",), {"as": "reference"}, TEAM_EDIT),
    "console:home": ("get", (), {}, CONSOLE_TEAM_ADMIN),
    "console:vendors": ("get", (), {}, OPERATOR_ONLY),
    "console:vendor_create": ("get", (), {}, OPERATOR_ONLY),
    "console:vendor": ("get", ("account",), {}, OPERATOR_ONLY),
    "console:vendor_test": ("post", ("account",), {}, OPERATOR_ONLY),
    "console:vendor_balance": ("post", ("account",), {}, OPERATOR_ONLY),
    "console:prices": ("get", (), {}, CONSOLE_TEAM_ADMIN),
    "console:price": ("post", ("offering",), {"points": "1"}, OPERATOR_ONLY),
    "console:teams": ("get", (), {}, CONSOLE_TEAM_ADMIN),
    "console:team": ("get", ("team",), {}, CONSOLE_OWN_TEAM),
    "console:team_member_add": ("post", ("team",), {"who": "new@example.com", "role": "staff"}, CONSOLE_OWN_TEAM),
    "console:team_member": ("post", ("team", "membership"), {"action": "save", "role": "staff"}, CONSOLE_OWN_TEAM),
    "console:team_points": ("post", ("team",), {"amount": "5", "reason": "r", "direction": "grant"}, OPERATOR_ONLY),
    "console:team_budget": ("post", ("team",), {"monthly_budget": "500"}, OPERATOR_ONLY),
    "console:team_ledger": ("get", ("team",), {}, CONSOLE_OWN_TEAM),
    "console:audit": ("get", (), {}, CONSOLE_TEAM_ADMIN),
    "console:spend": ("get", (), {}, CONSOLE_TEAM_ADMIN),
    "console:vendor_check": ("get", (), {}, OPERATOR_ONLY),
}


def url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":  # Django admin: superusers only, Django's own checks
                    yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_its_row():
    assert url_names() == set(MATRIX)


@pytest.fixture
def world(project, staff, reviewer, admin, operator, outsider, team):
    account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.invalid")
    offerings_load(account=account)
    asset = asset_ingest(project=project, upload=upload("shirt.png", images.distinct_png(1)), user=staff).asset
    run = make_run(project, user=staff)
    output = make_output(run)
    Task.objects.filter(run=run).update(state="failed")
    objects = {
        "team": team.pk, "project": project.pk, "asset": asset.pk, "run": run.pk, "output": output.pk,
        "account": account.pk, "offering": Offering.objects.filter(account=account).first().pk,
        "preset": PromptPreset.objects.create(project=project, name="Beach", text="on a beach").pk,
        "membership": staff.memberships.get().pk, "uid": "MQ", "token": "not-a-token",
        "filename": "x.png", "thumbnail": "thumbnail", "faces": "faces", "face-1": "face-1",
    }  # fmt: skip
    people = {"anonymous": None, "staff": staff, "reviewer": reviewer, "admin": admin, "operator": operator,
              "outsider": outsider}  # fmt: skip
    return objects, people


def outcome(response, name: str) -> str:
    if response.status_code in (403, 404):
        return {403: "F", 404: "N"}[response.status_code]
    if response.status_code == 302 and response.url.startswith(reverse("login")):
        return "L"
    assert response.status_code != 405, f"{name}: the matrix names the wrong method"
    return "A"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_url_answers_each_person_as_their_team_and_role_allow(world, name):
    objects, people = world
    method, arguments, data, expected = MATRIX[name]
    url = reverse(name, args=[objects[argument] for argument in arguments])
    if name == "console:vendor_create":
        url += "?kind=suchuang"
    form = {key: value.format(**objects) if isinstance(value, str) else value for key, value in data.items()}
    got = ""
    for who in WHO:
        client = client_for(people[who])
        with transaction.atomic():  # each person meets the world as it was: one's archive is not the next one's
            got += outcome(client.get(url) if method == "get" else client.post(url, form), name)
            transaction.set_rollback(True)
    assert got == expected, f"{name}: got {got} for {'/'.join(WHO)}, expected {expected}"
