"""Issue #13, phone and accessibility: every page each role sees, at 390×844, fits the screen (nothing makes the
page scroll sideways or pokes out of it) and has no serious or critical axe-core violation; screenshots of each
page at phone and desktop sizes go to var/test-output/browser/.

tests/browser/vendor/axe.min.js is axe-core 4.14.1 (Deque Systems, MPL-2.0), the file of its npm package as is.
It is run in the page through the DevTools protocol (page.evaluate), which the Content-Security-Policy does not
govern: the site itself never loads it.
"""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.accounts.models import Membership, Role
from studio.assets.ingest import asset_ingest
from studio.assets.models import AssetRole
from studio.audit.models import AuditAction
from studio.audit.services import audit_record
from studio.points.services import points_admin_change
from studio.projects.models import Project
from studio.review.services import output_review
from studio.runs.models import Run, RunState, TaskState
from tests import images
from tests.conftest import PASSWORD
from tests.images import upload
from tests.review.factories import make_output, make_run, make_task, product, product_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
THUMB = 44  # px: the smallest target a thumb hits reliably (WCAG 2.5.5, Apple's and Google's guidelines)

# What pokes out past the right edge of the screen: elements inside a box that scrolls or clips on its own
# (a wide table in its `overflow-x: auto` wrapper) do not count, nor do elements nobody sees.
OVERFLOW = """() => {
  const limit = window.innerWidth + 0.5;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (!/(auto|scroll|hidden|clip)/.test(style.overflowX)) continue;
      const box = up.getBoundingClientRect();
      return box.right <= limit && box.left >= -0.5;
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || (box.right <= limit && box.left >= -0.5) || clipped(el)) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    out.push({element: describe(el), left: Math.round(box.left), right: Math.round(box.right)});
  }
  out.sort((a, b) => (b.right - b.left) - (a.right - a.left));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, offenders: out.slice(0, 5)};
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 6).map((node) => node.target.join(" ")),
    more: Math.max(0, v.nodes.length - 6),
  }));
}"""


class Pages:
    """Visits pages and collects what is wrong with each, so one run names every problem at once."""

    def __init__(self, page, screenshot, role: str):
        self.page, self.screenshot, self.role = page, screenshot, role
        self.problems: list[str] = []

    def visit(self, url: str, name: str) -> None:
        self.page.set_viewport_size(PHONE)
        response = self.page.goto(url)
        assert response.ok, f"{name}: {url} answered {response.status}"
        self.page.wait_for_load_state()  # the deferred scripts (htmx) have run
        self.check(name)

    def check(self, name: str) -> None:
        page, label = self.page, f"{self.role} · {name}"
        page.set_viewport_size(PHONE)
        self._fits(label, PHONE)
        self._axe(label)
        # Nothing sticks to the top on a phone: from the end, a bar stuck to the bottom (the composer's price) is
        # drawn where it belongs in the whole-page picture. An open viewer is drawn where the page is, so: the top.
        page.evaluate(
            "() => window.scrollTo(0, document.querySelector('dialog[open]') ? 0 : document.body.scrollHeight)"
        )
        self.screenshot(page, f"{name}-phone")
        page.set_viewport_size(DESKTOP)
        self._fits(label, DESKTOP)
        self.screenshot(page, f"{name}-desktop")
        page.set_viewport_size(PHONE)

    def _fits(self, label: str, size: dict) -> None:
        found = self.page.evaluate(OVERFLOW)
        if found["scrollWidth"] > found["innerWidth"] or found["offenders"]:
            widest = "; ".join(f"{o['element']} (from {o['left']} to {o['right']} px)" for o in found["offenders"])
            self.problems.append(
                f"{label} at {size['width']} px: the page is {found['scrollWidth']} px wide; "
                f"poking out: {widest or 'nothing visible (a hidden element?)'}"
            )

    def _axe(self, label: str) -> None:
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate("() => {\n" + AXE.read_text(encoding="utf-8") + "\n}")
        for violation in self.page.evaluate(AXE_RUN):
            more = f" and {violation['more']} more" if violation["more"] else ""
            self.problems.append(
                f"{label}: axe {violation['impact']} {violation['id']} ({violation['help']}): "
                f"{', '.join(violation['targets'])}{more}"
            )

    def thumb_sized(self, locator, what: str) -> None:
        box = locator.bounding_box()
        if box is None or box["width"] < THUMB or box["height"] < THUMB:
            self.problems.append(f"{self.role} · {what} is {box and (round(box['width']), round(box['height']))}, "
                                 f"less than {THUMB}×{THUMB} px on a phone")  # fmt: skip

    def assert_none(self) -> None:
        assert not self.problems, "\n".join(["", *self.problems])


def sign_in(page, user) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".user-name")).to_have_text(user.username)


COLOURS = {"Linen shirt": (196, 164, 132), "Silk dress with a long name for the card": (120, 40, 90),
           "Denim jacket": (60, 90, 140)}  # fmt: skip


@pytest.fixture
def studio(team, other_team, project, staff, reviewer, admin, operator):
    """A team's project with products and a reference, a finished wash with reviewed images, points granted and
    spent, an uncertain job for the vendor check, and a team admin who is also in a second team."""
    Membership.objects.create(user=admin, team=other_team, role=Role.STAFF)  # the header's team switch
    Project.objects.create(team=team, name="Spring catalogue 2026 for the marketplace listings", created_by=staff)
    run = make_run(project, kind="imagewash", operation="wash", user=staff)
    products = []
    for name, colour in COLOURS.items():
        source = product(project, f"{name}.png", user=staff, picture=product_photo(colour, name))
        products.append(source)
        run.inputs.create(asset=source, role="product")
        for n, background in enumerate([(232, 240, 236), (250, 236, 222)]):
            shade = tuple(min(255, c + 25 * n) for c in colour)
            make_output(run, source=source, picture=product_photo(shade, f"{name} {n + 1}", (480, 600), background))
    reference = images.encode(product_photo((180, 200, 160), "terrace", (600, 400)), "PNG")
    asset_ingest(project=project, upload=upload("terrace-reference.png", reference, "image/png"),
                 role=AssetRole.REFERENCE, user=staff)  # fmt: skip
    outputs = list(run.outputs.order_by("id"))
    output_review(output_id=outputs[0].pk, actor=reviewer, to_state="approved")
    output_review(output_id=outputs[1].pk, actor=reviewer, to_state="rejected", reason="The collar is cut off")
    run.tasks.update(sent_at=timezone.now(), vendor_task_id="iw-1", state=TaskState.SUCCEEDED)
    uncertain = run.tasks.order_by("index").last()
    run.tasks.filter(pk=uncertain.pk).update(state=TaskState.UNCERTAIN, vendor_task_id="")
    Run.objects.filter(pk=run.pk).update(
        state=RunState.PARTIAL, tasks_succeeded=5, tasks_uncertain=1, images_stored=6,
        outputs_expected=6, points_charged=24, points_refunded=4,
    )  # fmt: skip
    points_admin_change(team=team, amount=5000, reason="Q4 budget", actor=operator, key="grant-1")
    audit_record(actor=operator, action=AuditAction.ROLE_CHANGED, target=f"{reviewer.username} in {team.name}",
                 team=team, role={"before": "staff", "after": "reviewer"})  # fmt: skip
    failed = make_run(project, kind="imagewash", operation="wash", user=staff)  # the runs page offers its retry
    failed.tasks.filter(pk=make_task(failed).pk).update(state=TaskState.FAILED)
    Run.objects.filter(pk=failed.pk).update(state=RunState.FAILED, tasks_failed=1, outputs_expected=1)
    run.refresh_from_db()
    return {"project": project, "run": run, "outputs": outputs, "account": run.offering.account}


def open_viewer(page):
    page.locator(".review-card .card-open").first.click()
    expect(page.locator("#viewer .viewer")).to_be_visible()
    page.wait_for_load_state()


def test_staff_pages_fit_a_phone(page, screenshot, staff, studio):
    project, run, outputs = studio["project"], studio["run"], studio["outputs"]
    pages = Pages(page, screenshot, "staff")
    sign_in(page, staff)
    pages.visit("/projects/", "projects")
    pages.visit(f"/projects/{project.pk}/", "project")
    pages.visit(f"/projects/{project.pk}/gallery/", "project-gallery")
    pages.visit(f"/projects/{project.pk}/gallery/?group=product", "project-gallery-groups")
    open_viewer(page)
    pages.check("viewer-dialog")
    pages.visit(f"/review/outputs/{outputs[2].pk}/", "viewer-page")
    pages.visit(f"/projects/{project.pk}/runs/", "runs")
    pages.visit(f"/runs/{run.pk}/", "run")
    pages.visit(f"/projects/{project.pk}/compose/", "compose")
    pages.visit("/activity/?who=team", "activity")
    pages.assert_none()


def test_reviewer_pages_fit_a_phone_and_review_with_a_thumb(page, screenshot, reviewer, studio):
    project, run, outputs = studio["project"], studio["run"], studio["outputs"]
    pages = Pages(page, screenshot, "reviewer")
    sign_in(page, reviewer)
    pages.visit("/projects/", "projects")
    pages.visit(f"/projects/{project.pk}/", "project")
    page.goto(f"/runs/{run.pk}/gallery/")
    page.wait_for_load_state()
    page.locator(".review-card .pick-output").first.check()  # the bulk bar with its buttons live
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    pages.check("run-gallery")
    open_viewer(page)
    pages.check("viewer-dialog")
    viewer = page.locator("#viewer")
    pages.thumb_sized(viewer.locator(".review-form button[value=approve]"), "the viewer's Approve")
    pages.thumb_sized(viewer.locator(".review-form button[value=reject]"), "the viewer's Reject")
    pages.thumb_sized(page.locator(".review-card button.icon.ok").first, "a card's Approve")
    pages.visit(f"/review/outputs/{outputs[1].pk}/", "viewer-page")
    pages.thumb_sized(page.locator(".review-form button[value=approve]"), "the viewer page's Approve")
    pages.visit(f"/projects/{project.pk}/runs/", "runs")
    pages.visit(f"/runs/{run.pk}/", "run")
    pages.assert_none()


def test_team_admin_pages_fit_a_phone(page, screenshot, admin, team, studio):
    pages = Pages(page, screenshot, "team-admin")
    sign_in(page, admin)
    pages.visit("/projects/", "projects")
    pages.visit(f"/projects/{studio['project'].pk}/", "project")
    page.locator(".popover summary").click()
    expect(page.get_by_label("Project name")).to_be_visible()
    pages.check("project-rename")
    pages.visit("/console/", "console-teams")
    pages.visit(f"/console/teams/{team.pk}/", "console-team")
    pages.visit(f"/console/teams/{team.pk}/ledger/", "console-ledger")
    pages.visit("/console/prices/", "console-prices")
    pages.visit("/console/spend/", "console-spend")
    pages.visit("/console/audit/", "console-audit")
    pages.assert_none()


def test_operator_pages_fit_a_phone(page, screenshot, operator, team, studio):
    account = studio["account"]
    pages = Pages(page, screenshot, "operator")
    page.set_viewport_size(PHONE)
    page.goto("/login/")
    pages.check("sign-in")
    sign_in(page, operator)
    pages.visit("/console/vendors/", "console-vendors")
    pages.visit(f"/console/vendors/new/?kind={account.kind}", "console-vendor-new")
    pages.visit(f"/console/vendors/{account.pk}/", "console-vendor")
    pages.visit("/console/prices/", "console-prices")
    pages.visit("/console/teams/", "console-teams")
    pages.visit(f"/console/teams/{team.pk}/", "console-team")
    pages.visit(f"/console/teams/{team.pk}/ledger/", "console-ledger")
    pages.visit("/console/spend/", "console-spend")
    pages.visit("/console/vendor-check/", "console-vendor-check")
    pages.visit("/console/audit/", "console-audit")
    pages.assert_none()
