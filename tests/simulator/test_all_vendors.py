"""All five vendors on one simulator, as `make run` serves them, driven the way the worker will."""

from studio.benchmarks import vendors as benchmark
from studio.vendors.base import SubmitRequest
from studio.vendors.imagetasks import ADAPTER as ImageTasks
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.operations import Operation
from studio.vendors.services import offerings_load


def test_every_vendor_finishes_a_task_in_the_fewest_calls_its_poll_interval_allows(settings):
    figures = benchmark.run(latency=0.5, log=lambda message: None)

    assert [row.kind for row in figures] == ["imagewash", "imagetasks", "hdredraw", "suchuang", "lingtu"]
    for row in figures:
        assert row.status == "succeeded", row
        assert row.files >= 1
        assert row.calls <= 0.5 / row.poll_interval + 2, row


def test_a_parameter_dependent_price_comes_from_the_offerings_table(db):
    account = VendorAccount.objects.create(kind="imagetasks", name="it", base_url="https://vendor.example.com")
    offerings_load(account=account)
    offering = Offering.objects.get(account=account, operation=Operation.TEXT_TO_IMAGE, model="gpt-image-2")
    adapter = ImageTasks(base_url=account.base_url, credentials={})

    def price(size, quality):
        request = SubmitRequest(
            Operation.TEXT_TO_IMAGE, "gpt-image-2", {"prompt": "x", "size": size, "quality": quality}
        )
        return offering.points_per_output(adapter.price_inputs(adapter.validate(request)))

    assert price("1024x1024", "low") < price("1024x1024", "high") < price("3840x2160", "high")
    offering.price_table = {**offering.price_table, "4K:high": 777}
    offering.save()
    assert price("3840x2160", "high") == 777
