import time

from django.core import signing
from django.test import Client

from studio.assets.ingest import asset_ingest
from studio.assets.vendor_urls import asset_vendor_url
from tests import images
from tests.images import upload


def make_asset(project, user, n=1):
    return asset_ingest(project=project, upload=upload(f"{n}.png", images.distinct_png(n)), user=user).asset


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_vendor_fetches_the_one_file_without_signing_in(project, staff, settings):
    settings.PUBLIC_BASE_URL = "https://studio.example.com"
    asset = make_asset(project, staff)
    url = asset_vendor_url(asset)
    assert url.startswith("https://studio.example.com/vendor-inputs/") and url.endswith("/input.png")

    response = Client().get(path_of(url))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == asset.file.open("rb").read()


def test_an_altered_token_reveals_nothing(project, staff):
    first, second = make_asset(project, staff, 1), make_asset(project, staff, 2)
    url = asset_vendor_url(first)
    token = url.split("/vendor-inputs/")[1].split("/")[0]
    forged = signing.dumps({"asset": second.pk, "max_age": 3600}, salt="some-other-salt")
    assert Client().get(path_of(url).replace(token, token[:-2] + "xx")).status_code == 404
    assert Client().get(path_of(url).replace(token, forged)).status_code == 404


def test_an_expired_url_is_refused(project, staff, monkeypatch):
    asset = make_asset(project, staff)
    url = asset_vendor_url(asset, max_age=600)
    assert Client().get(path_of(url)).status_code == 200
    later = time.time() + 601
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert Client().get(path_of(url)).status_code == 404
