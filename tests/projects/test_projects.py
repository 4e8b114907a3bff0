import pytest
from django.urls import reverse

from studio.assets.ingest import asset_ingest
from studio.projects.models import Project
from tests import images
from tests.images import upload


def test_it_creates_a_project_and_opens_it(staff_client, team):
    response = staff_client.post(reverse("projects:create"), {"name": "  Summer   sale "})
    project = Project.objects.get()
    assert (project.name, project.team) == ("Summer sale", team)
    assert response.url == reverse("projects:detail", args=[project.pk])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "Give the project a name."),
        ("autumn LOOKBOOK", "This team already has a project called “Autumn lookbook”."),
        ("x" * 121, "A project name can have at most 120 characters."),
    ],
)
def test_a_bad_name_is_refused_next_to_the_field(staff_client, project, name, message):
    response = staff_client.post(reverse("projects:create"), {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Project.objects.count() == 1


def test_the_same_name_is_fine_in_another_team(staff_client, other_project):
    staff_client.post(reverse("projects:create"), {"name": other_project.name})
    assert Project.objects.filter(name=other_project.name).count() == 2


def test_it_renames_and_refuses_a_clash(staff_client, project, team):
    Project.objects.create(team=team, name="Outlet")
    staff_client.post(reverse("projects:rename", args=[project.pk]), {"name": "Winter"})
    project.refresh_from_db()
    assert project.name == "Winter"

    response = staff_client.post(reverse("projects:rename", args=[project.pk]), {"name": "outlet"})
    assert response.status_code == 400
    assert "already has a project called “Outlet”" in response.content.decode()
    project.refresh_from_db()
    assert project.name == "Winter"


def test_archive_hides_a_project_until_restored(staff_client, project):
    archive = staff_client.post(reverse("projects:archive", args=[project.pk]), follow=True).content.decode()
    assert "Archived “Autumn lookbook”. Find it under Archived to restore it." in archive
    active = staff_client.get(reverse("projects:list")).content.decode()
    archived = staff_client.get(reverse("projects:list") + "?archived=1").content.decode()
    assert project.name not in active
    assert project.name in archived

    staff_client.post(reverse("projects:restore", args=[project.pk]))
    assert project.name in staff_client.get(reverse("projects:list")).content.decode()


def test_an_archived_name_is_named_as_archived_when_reused(staff_client, project):
    staff_client.post(reverse("projects:archive", args=[project.pk]))
    response = staff_client.post(reverse("projects:create"), {"name": project.name})
    assert "An archived project is already called" in response.content.decode()


def test_the_list_shows_counts_and_recent_thumbnails_in_constant_queries(
    staff_client, team, staff, django_assert_max_num_queries
):
    for n in range(6):  # project n has n images
        project = Project.objects.create(team=team, name=f"Project {n}")
        for m in range(n):
            asset_ingest(project=project, upload=upload(f"{m}.png", images.distinct_png(m)), user=staff)

    with django_assert_max_num_queries(8):
        page = staff_client.get(reverse("projects:list")).content.decode()

    assert "5 images" in page and "1 image ·" in page
    assert page.count("/thumbnail/") == 0 + 1 + 2 + 3 + 4 + 4  # at most four recent ones per project


def test_empty_states_say_what_to_do_next(staff_client, reviewer_client, team):
    assert "Start your first project" in staff_client.get(reverse("projects:list")).content.decode()
    assert (
        "Staff and admins of your team create projects"
        in reviewer_client.get(reverse("projects:list")).content.decode()
    )


def test_an_empty_project_invites_an_upload(staff_client, project):
    page = staff_client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "No images yet" in page
    assert "Drop product photos" in page
