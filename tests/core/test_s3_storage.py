"""The same upload and file serving on S3-compatible storage (moto's S3 server on loopback)."""

import boto3
import httpx
import pytest
from django.urls import reverse
from moto.server import ThreadedMotoServer

from studio.assets.ingest import asset_ingest
from tests import images
from tests.images import upload

BUCKET = "studio-test"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def s3_storage(settings, s3_endpoint):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "querystring_expire": 300,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }


def test_uploads_land_in_the_bucket_and_are_served_by_short_lived_signed_urls(s3_storage, staff_client, project, staff):
    outcome = asset_ingest(project=project, upload=upload("shirt.jpg", images.jpeg()), user=staff)
    assert outcome.status == "kept"

    response = staff_client.get(reverse("assets:thumbnail", args=[outcome.asset.pk]))

    assert response.status_code == 302
    assert "X-Amz-Expires=300" in response.url and "X-Amz-Signature=" in response.url
    fetched = httpx.get(response.url)
    assert fetched.status_code == 200
    assert fetched.content[8:12] == b"WEBP"


def test_vendor_input_urls_are_presigned_by_the_bucket(s3_storage, project, staff):
    from studio.assets.vendor_urls import asset_vendor_url

    asset = asset_ingest(project=project, upload=upload("shirt.jpg", images.jpeg()), user=staff).asset
    url = asset_vendor_url(asset, max_age=900)
    assert "X-Amz-Expires=900" in url
    assert httpx.get(url).content == asset.file.open("rb").read()


def test_healthz_checks_the_bucket(s3_storage, client, db):
    assert client.get(reverse("healthz")).json()["checks"]["storage"]["ok"] is True


def test_healthz_fails_when_the_bucket_is_missing(s3_storage, settings, client, db):
    settings.STORAGES["default"]["OPTIONS"]["bucket_name"] = "no-such-bucket"
    settings.STORAGES = dict(settings.STORAGES)  # tell Django the storage changed
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"ok": False, "error": "NoSuchBucket"}


def bucket_urls(html: str) -> list[str]:
    import re

    return [url.replace("&amp;", "&") for url in re.findall(r'src="(http://127\.0\.0\.1:\d+/[^"]+)"', html)]


def test_gallery_run_page_and_viewer_write_signed_bucket_urls_into_the_page(s3_storage, staff_client, project, staff):
    """No app request per image; the same thumbnail keeps its URL from page to page, so browsers cache it."""
    from tests.review.factories import make_output, make_run, product

    shirt = product(project, "Red shirt.png", (200, 40, 40), staff)
    run = make_run(project, user=staff)
    outputs = [make_output(run, source=shirt) for _ in range(3)]
    gallery_url = reverse("review:project", args=[project.pk])

    first = bucket_urls(staff_client.get(gallery_url).content.decode())
    again = bucket_urls(staff_client.get(gallery_url).content.decode())

    thumbnails = [url for url in first if ".thumb.webp" in url]
    assert len(thumbnails) == 3 and all("X-Amz-Signature=" in url for url in thumbnails)
    assert first == again
    assert httpx.get(thumbnails[0]).content[8:12] == b"WEBP"
    run_page = staff_client.get(reverse("runs:detail", args=[run.pk])).content.decode()
    assert {url for url in bucket_urls(run_page) if ".thumb.webp" in url} == set(thumbnails)
    viewer = bucket_urls(staff_client.get(reverse("review:viewer", args=[outputs[0].pk])).content.decode())
    assert any(outputs[0].file.name in url for url in viewer) and any(shirt.file.name in url for url in viewer)
    assert httpx.get(next(url for url in viewer if outputs[0].file.name in url)).content[:4] == b"\x89PNG"


def test_a_signed_url_is_never_handed_out_for_another_store_holding_the_same_name(s3_storage, settings, project, staff):
    """Two stores (a second bucket, a test database starting its ids at 1 again) can hold the same name."""
    from django.core.files.storage import storages

    from studio.core.files import browser_url

    asset = asset_ingest(project=project, upload=upload("shirt.jpg", images.jpeg()), user=staff).asset
    first = browser_url(asset.thumbnail, "/app-url/")
    settings.STORAGES["default"]["OPTIONS"]["bucket_name"] = "another-bucket"
    settings.STORAGES = dict(settings.STORAGES)
    asset.thumbnail.storage = storages["default"]

    second = browser_url(asset.thumbnail, "/app-url/")
    assert "/studio-test/" in first and "/another-bucket/" in second
