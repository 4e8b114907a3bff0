import pytest
from django.test import Client
from django.utils import translation

from studio.accounts.models import Membership, Role, Team, User
from studio.projects.models import Project

PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config, items):
    """The scale-out layout needs PostgreSQL and Redis: the embedded SQLite run leaves it out, and says so
    (`.ci/run` runs the suite again on PostgreSQL + Redis, where it runs and must pass)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and settings.REDIS_URL:
        return
    left_out = [item for item in items if item.get_closest_marker("scale_out")]
    if left_out:
        items[:] = [item for item in items if not item.get_closest_marker("scale_out")]
        config.hook.pytest_deselected(items=left_out)
        print(f"\nNOTE: {len(left_out)} scale-out test(s) need PostgreSQL + Redis (DATABASE_URL, REDIS_URL): left out.")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """SQLite tests use a file, not memory, so a real worker process (qcluster) can share the database."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    database["CONN_MAX_AGE"] = 0  # the live server's threads must not keep sessions open past the tests
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def english_by_default():
    """A request in Chinese leaves Chinese active in the thread; each test starts in English again."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Each test its own cache: nothing cached by one test (or a developer's server) leaks into another."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_storage(settings, tmp_path):
    """Every test stores files in its own folder, so tests never see each other's files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


def make_member(team: Team, role: str, username: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(user=user, team=team, role=role)
    return user


@pytest.fixture
def team(db):
    return Team.objects.create(name="Acme")


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="Globex")


@pytest.fixture
def staff(team):
    return make_member(team, Role.STAFF, "sam-staff")


@pytest.fixture
def reviewer(team):
    return make_member(team, Role.REVIEWER, "rita-reviewer")


@pytest.fixture
def admin(team):
    return make_member(team, Role.ADMIN, "ada-admin")


@pytest.fixture
def operator(db):
    """A studio operator: vendors, prices and every team's points; a member of no team."""
    return User.objects.create_user(username="otto-operator", password=PASSWORD, is_operator=True)


@pytest.fixture
def outsider(other_team):
    """An admin, but of another team: must never see Acme's things."""
    return make_member(other_team, Role.ADMIN, "olga-outsider")


@pytest.fixture
def project(team, staff):
    return Project.objects.create(team=team, name="Autumn lookbook", created_by=staff)


@pytest.fixture
def other_project(other_team, outsider):
    return Project.objects.create(team=other_team, name="Globex secrets", created_by=outsider)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)
