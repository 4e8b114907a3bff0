"""Demo data for `make run`: a team with one user per role, a studio operator, and a project of product photos."""

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from studio.accounts.models import Membership, Role, Team, User
from studio.assets.ingest import asset_ingest
from studio.points.models import LedgerEntry
from studio.points.services import points_grant
from studio.projects.models import Project
from studio.simulator.app import demo_credentials
from studio.vendors.catalogue import KINDS
from studio.vendors.models import VendorAccount
from studio.vendors.services import offerings_load

DEMO_TEAM = "Demo team"
DEMO_POINTS = 10_000
SECOND_TEAM = "Outlet team"
DEMO_USERS = [  # username, password, role in the demo team
    ("admin", "studio-admin", Role.ADMIN),
    ("staff", "studio-staff", Role.STAFF),
    ("reviewer", "studio-reviewer", Role.REVIEWER),
]
DEMO_OPERATOR = ("operator", "studio-operator")  # studio-wide: vendors, prices, every team's points
PRODUCT_COLOURS = [
    ("Linen shirt", "#c9b79c"),
    ("Denim jacket", "#4a6fa5"),
    ("Red dress", "#c0392b"),
    ("Green hoodie", "#2e8b57"),
    ("Yellow raincoat", "#e1b12c"),
    ("Grey trousers", "#7f8c8d"),
]


@transaction.atomic
def seed_demo() -> list[tuple[str, str, str]]:
    """Creates what is missing and changes nothing that exists, so running it again keeps all data."""
    team, _ = Team.objects.get_or_create(name=DEMO_TEAM)
    second_team, _ = Team.objects.get_or_create(name=SECOND_TEAM)
    for username, password, role in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=password)
        Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
    username, password = DEMO_OPERATOR
    if not User.objects.filter(username=username).exists():  # a superuser: Django admin too (unlocking sign-ins)
        User.objects.create_superuser(username=username, password=password, is_operator=True)
    # The admin is also staff of a second team, to show team switching.
    Membership.objects.get_or_create(
        user=User.objects.get(username="admin"), team=second_team, defaults={"role": Role.STAFF}
    )
    _demo_vendor_accounts()
    if not LedgerEntry.objects.filter(key="demo-grant").exists():
        points_grant(team=team, amount=DEMO_POINTS, reason="Demo balance", user=None, key="demo-grant")
    if not Project.objects.filter(team=team).exists():
        project = Project.objects.create(
            team=team, name="Spring catalogue", created_by=User.objects.get(username="staff")
        )
        for name, colour in PRODUCT_COLOURS:
            upload = ContentFile(_product_photo(colour), name=f"{name.lower().replace(' ', '-')}.jpg")
            asset_ingest(project=project, upload=upload, user=project.created_by)
    return [(username, password, role.label) for username, password, role in DEMO_USERS]


def _demo_vendor_accounts() -> None:
    """One account per vendor, pointed at the built-in simulator, with every offering of its catalogue. Run again
    with another SIMULATOR_URL (`make run PORT=8400`), it points them there, with their keys bound anew."""
    for kind in KINDS:
        account, created = VendorAccount.objects.get_or_create(
            name=f"{kind} (simulator)", defaults={"kind": kind, "base_url": settings.SIMULATOR_URL}
        )
        if created or account.base_url != settings.SIMULATOR_URL:
            account.base_url = settings.SIMULATOR_URL
            account.set_credentials(demo_credentials(kind))  # keys are sealed with their address
            account.save()
        if created:
            offerings_load(account=account)


def _product_photo(colour: str) -> bytes:
    """A plain studio shot: a garment-like shape on a light background."""
    image = Image.new("RGB", (1200, 1500), "#f2f0ec")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((330, 360, 870, 1300), radius=60, fill=colour)
    draw.polygon([(330, 400), (150, 700), (260, 760), (380, 560)], fill=colour)
    draw.polygon([(870, 400), (1050, 700), (940, 760), (820, 560)], fill=colour)
    draw.ellipse((520, 330, 680, 430), fill="#f2f0ec")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
