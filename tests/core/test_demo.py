from studio.accounts.models import Membership, User
from studio.core.demo import DEMO_POINTS, seed_demo
from studio.points.services import points_balance
from studio.projects.models import Project
from studio.vendors.models import Offering, VendorAccount


def test_the_demo_has_every_role_a_balance_vendors_and_a_project_and_running_it_again_keeps_data(db):
    seed_demo()
    team = Membership.objects.get(user__username="staff").team
    assert set(team.memberships.values_list("role", flat=True)) == {"admin", "staff", "reviewer"}
    users = {user.username: user for user in User.objects.all()}
    assert users["operator"].operates_studio and not users["operator"].memberships.exists()
    assert not users["admin"].operates_studio  # a team admin: the studio's vendors and prices are not theirs
    assert points_balance(team=team) == DEMO_POINTS
    assert VendorAccount.objects.count() == 5 and Offering.objects.count() > 40
    project = Project.objects.get(team=team)
    assert project.assets.count() == 6

    project.name = "Renamed by a user"
    project.save()
    seed_demo()

    assert points_balance(team=team) == DEMO_POINTS  # not granted twice
    assert Project.objects.get().name == "Renamed by a user"
    assert VendorAccount.objects.count() == 5


def test_seeding_again_with_another_simulator_address_repoints_the_demo_accounts_with_working_keys(db, settings):
    seed_demo()
    settings.SIMULATOR_URL = "http://127.0.0.1:8500"

    seed_demo()

    for account in VendorAccount.objects.all():
        assert account.base_url == "http://127.0.0.1:8500"
        assert account.adapter().base_url == "http://127.0.0.1:8500"  # keys sealed for the new address
