"""The run page and the Runs list cost the same however large the runs: counters, newest images, pages."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.benchmarks.pages import PagesWorld
from studio.runs.views import IMAGES_ON_RUN_PAGE, JOBS_PER_PAGE, RUNS_PER_PAGE


def queries_and_page(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 286)
    return len(queries), response


def test_the_run_page_and_its_progress_cost_the_same_for_10_and_600_images(db):
    world = PagesWorld()
    client = world.client()
    small = world.add_run(tasks=1, images_per_task=10, running=True)
    large = world.add_run(tasks=60, images_per_task=10, running=True)

    for name in ("runs:detail", "runs:progress"):
        few, _ = queries_and_page(client, reverse(name, args=[small.pk]))
        many, page = queries_and_page(client, reverse(name, args=[large.pk]))
        assert few == many <= 15, name

    html = page.content.decode()
    assert html.count('class="output-card"') == IMAGES_ON_RUN_PAGE
    assert "590 images stored" in html and "The newest 24 of 590 images." in html
    assert reverse("review:run", args=[large.pk]) in html
    assert html.count("<tr><td>") == JOBS_PER_PAGE and "59 done · 0 failed · 60 jobs" in html


def test_the_job_table_pages_through_a_large_run_and_keeps_its_page_while_polling(db):
    world = PagesWorld()
    client = world.client()
    run = world.add_run(tasks=60, images_per_task=1, running=True)

    first = client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    next_link = re.search(r'href="([^"]*jobs_after=(\d+))"', first)
    assert next_link and next_link.group(2) == str(JOBS_PER_PAGE - 1)

    second = client.get(next_link.group(1).replace("&amp;", "&")).content.decode()
    indexes = [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", second)]
    assert indexes == list(range(JOBS_PER_PAGE + 1, 61))  # shown from 1
    assert f'hx-get="{reverse("runs:progress", args=[run.pk])}?jobs_after={JOBS_PER_PAGE - 1}"' in second
    pager = re.search(r'<p class="jobs-pager">.*?</p>', second, re.S).group(0)
    assert "First jobs" in pager and "Next jobs" not in pager  # the last page


def test_the_runs_list_pages_newest_first_without_repeating_or_skipping_a_run(db):
    world = PagesWorld()
    client = world.client()
    runs = [world.add_run(tasks=1, images_per_task=1, running=False) for _ in range(RUNS_PER_PAGE + 3)]
    url = reverse("runs:list", args=[world.project.pk])

    count_first, first = queries_and_page(client, url)
    older = first.context["older"]
    count_second, second = queries_and_page(client, f"{url}?before={older}")

    seen = [run.pk for run in first.context["runs"]] + [run.pk for run in second.context["runs"]]
    assert seen == sorted((run.pk for run in runs), reverse=True)
    assert second.context["older"] is None and f"?before={older}" in first.content.decode()
    assert count_first <= 12 and count_second <= 12
    assert client.get(f"{url}?before=not-a-number").status_code == 200


def test_a_finished_job_shows_no_retries_rather_than_attempts_0(db):
    world = PagesWorld()
    run = world.add_run(tasks=2, images_per_task=1, running=False)
    html = world.client().get(reverse("runs:detail", args=[run.pk])).content.decode()
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", html, re.S)
    assert len(rows) == 2 and all(re.search(r"<td>1</td><td>—</td>", row) for row in rows), rows


def test_a_canceled_run_reads_canceled_in_its_own_colour_not_failed(db):
    from django.utils import timezone

    from studio.runs.models import Run, RunState
    from studio.runs.worker import _settle_run

    world = PagesWorld()
    run = world.add_run(tasks=20, images_per_task=1, running=True)
    Run.objects.filter(pk=run.pk).update(tasks_open=0, tasks_succeeded=2, tasks_canceled=18,
                                         cancel_requested_at=timezone.now())  # fmt: skip
    _settle_run(run.pk)
    run.refresh_from_db()
    assert run.state == RunState.CANCELED  # stopped by a person, not "partially succeeded"

    html = " ".join(world.client().get(reverse("runs:detail", args=[run.pk])).content.decode().split())
    assert "2 done · 0 failed · 20 jobs" in html and '<span class="state-canceled">18 canceled</span>' in html
    assert '<rect class="bar-canceled" x="10" width="90"' in html and 'class="bar-failed" x="10" width="0"' in html
    assert "Send the 18 canceled jobs after all (charged again)" in html
