"""Knowing when work finishes: the Activity page and the notices of a person's runs that ended."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from studio.runs.models import Run, RunState
from tests.review.factories import make_run


def runs_listed(page: str, heading: str) -> list[int]:
    section = page.split(f"{heading}")[1].split("</section>")[0]
    return [int(number) for number in re.findall(r'<td><a href="/runs/(\d+)/">\d+</a>', section)]


def test_activity_lists_running_finished_today_and_failed_runs_of_every_team_project(
    staff_client, project, staff, admin, other_project, outsider
):
    running = make_run(project, user=staff)
    Run.objects.filter(pk=running.pk).update(state=RunState.RUNNING, finished_at=None)
    done = make_run(project, user=staff)
    failed = make_run(project, user=staff)
    Run.objects.filter(pk=failed.pk).update(state=RunState.FAILED)
    yesterday = make_run(project, user=staff)
    Run.objects.filter(pk=yesterday.pk).update(finished_at=timezone.now() - timedelta(days=1, hours=1))
    colleague = make_run(project, user=admin)
    make_run(other_project, user=outsider)  # another team's: never shown

    page = staff_client.get(reverse("runs:activity")).content.decode()
    team_page = staff_client.get(reverse("runs:activity") + "?who=team").content.decode()

    assert runs_listed(page, "Running") == [running.pk]
    assert runs_listed(page, "Finished today") == [done.pk]
    assert runs_listed(page, "Failed in the last 7 days") == [failed.pk]
    assert runs_listed(team_page, "Finished today") == [colleague.pk, done.pk]


def test_the_activity_page_costs_the_same_however_long_the_history(
    staff_client, project, staff, django_assert_max_num_queries
):
    old = [make_run(project, user=staff) for _ in range(30)]
    Run.objects.filter(pk__in=[run.pk for run in old]).update(finished_at=timezone.now() - timedelta(days=30))
    with django_assert_max_num_queries(12):
        staff_client.get(reverse("runs:activity"), headers={"HX-Request": "true"})


def test_a_run_that_ends_is_told_once_to_the_person_who_started_it(staff_client, admin_client, project, staff, admin):
    notices = reverse("runs:notices")
    assert staff_client.get(notices).status_code == 204  # the first poll only starts the clock
    assert admin_client.get(notices).status_code == 204
    assert staff_client.get(notices).status_code == 204  # nothing ended since

    run = make_run(project, user=staff)
    Run.objects.filter(pk=run.pk).update(state=RunState.PARTIAL, tasks_failed=2)

    told = " ".join(staff_client.get(notices).content.decode().split())
    assert f"Run {run.pk}: Partially succeeded" in told and "2 failed" in told
    assert f'data-notify-url="/runs/{run.pk}/"' in told
    assert staff_client.get(notices).status_code == 204  # told once
    assert admin_client.get(notices).status_code == 204  # not the admin's run
