"""Saved prompt presets: a project's named prompts, saved and used from the composer."""

import pytest
from django.urls import reverse

from studio.projects.models import PromptPreset
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import offerings_load
from tests.conftest import client_for


@pytest.fixture
def wash(db):
    account = VendorAccount.objects.create(kind="imagewash", name="imagewash", base_url="https://vendor.invalid")
    offerings_load(account=account)
    return Offering.objects.get(operation="wash", model="nanoBanana2")


def save(client, project, **form):
    return client.post(reverse("runs:preset_save", args=[project.pk]), form, headers={"HX-Request": "true"})


def test_it_saves_the_prompt_under_a_name_and_lists_it(staff, project):
    response = save(client_for(staff), project, preset_name="  Sunny   terrace ", param_prompt="on a sunny terrace ")

    preset = PromptPreset.objects.get()
    assert (preset.project, preset.name, preset.created_by) == (project, "Sunny terrace", staff)
    assert preset.text == "on a sunny terrace"
    body = response.content.decode()
    assert "Saved “Sunny terrace”." in body
    assert f'<option value="{preset.pk}"' in body


def test_the_same_name_in_any_case_replaces_the_prompt(staff, project):
    client = client_for(staff)
    save(client, project, preset_name="Terrace", param_prompt="old words")
    response = save(client, project, preset_name="terrace", param_prompt="new words")

    assert list(PromptPreset.objects.values_list("name", "text")) == [("terrace", "new words")]
    assert "Replaced “terrace” with this prompt." in response.content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"preset_name": "", "param_prompt": "words"}, "Give the preset a name."),
        ({"preset_name": "x" * 81, "param_prompt": "words"}, "at most 80 characters"),
        ({"preset_name": "Empty", "param_prompt": "   "}, "Write a prompt first"),
        ({"preset_name": "Long", "param_prompt": "w" * 4001}, "at most 4000 characters"),
    ],
)
def test_it_refuses_bad_presets_with_a_message(staff, project, form, message):
    response = save(client_for(staff), project, **form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PromptPreset.objects.exists()


def test_using_a_preset_fills_the_prompt_and_keeps_the_rest_of_the_form(staff, project, wash):
    preset = PromptPreset.objects.create(project=project, name="Terrace", text="on a sunny terrace")
    response = client_for(staff).get(
        reverse("runs:compose", args=[project.pk]),
        {"operation": "wash", "offering": wash.pk, "param_prompt": "typed before", "param_count": "3",
         "use_preset": preset.pk},
    )  # fmt: skip

    body = response.content.decode()
    assert ">on a sunny terrace</textarea>" in body
    assert "typed before" not in body
    assert 'value="3"' in body


def test_another_projects_preset_is_not_found(staff, project, other_project, wash):
    theirs = PromptPreset.objects.create(project=other_project, name="Theirs", text="secret recipe")
    response = client_for(staff).get(reverse("runs:compose", args=[project.pk]), {"use_preset": theirs.pk})
    assert response.status_code == 404


def test_it_deletes_a_preset_of_this_project_only(staff, project, other_project):
    mine = PromptPreset.objects.create(project=project, name="Mine", text="a")
    theirs = PromptPreset.objects.create(project=other_project, name="Theirs", text="b")
    client = client_for(staff)

    response = client.post(reverse("runs:preset_delete", args=[project.pk, mine.pk]))
    assert "Deleted “Mine”." in response.content.decode()
    client.post(reverse("runs:preset_delete", args=[project.pk, theirs.pk]))
    assert list(PromptPreset.objects.all()) == [theirs]


@pytest.mark.parametrize(("who", "expected"), [("reviewer", 403), ("outsider", 404)])
def test_only_those_who_compose_manage_presets(request, project, who, expected):
    preset = PromptPreset.objects.create(project=project, name="Kept", text="a")
    client = client_for(request.getfixturevalue(who))

    assert save(client, project, preset_name="New", param_prompt="b").status_code == expected
    assert client.post(reverse("runs:preset_delete", args=[project.pk, preset.pk])).status_code == expected
    assert list(PromptPreset.objects.all()) == [preset]
