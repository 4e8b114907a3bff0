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
