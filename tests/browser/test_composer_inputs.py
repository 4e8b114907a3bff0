"""The composer's own uploads, its role filter and saved prompts, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from studio.assets.ingest import asset_ingest
from studio.assets.models import Asset
from studio.points.services import points_grant
from studio.projects.models import PromptPreset
from studio.vendors.models import VendorAccount
from studio.vendors.services import offerings_load
from tests import images
from tests.conftest import PASSWORD
from tests.images import upload
from tests.run_fixtures import many_products

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def composer(page, staff, admin, project):
    account = VendorAccount.objects.create(kind="imagewash", name="imagewash", base_url="https://vendor.invalid")
    offerings_load(account=account)  # the composer only prices: no vendor is called here
    points_grant(team=project.team, amount=1000, reason="budget", user=admin, key="budget")
    asset_ingest(project=project, upload=upload("old-shirt.png", images.distinct_png(7)), user=staff)
    asset_ingest(project=project, upload=upload("a-model.png", images.distinct_png(9)), role="model", user=staff)
    page.goto("/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/projects/{project.pk}/compose/")
    return page


def test_staff_upload_products_from_the_composer_and_they_are_chosen(composer, project, tmp_path, screenshot):
    page = composer
    good = tmp_path / "new-shirt.jpg"
    good.write_bytes(images.jpeg(800, 600))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(images.truncated_jpeg())
    products = page.locator('.input-role[data-role="product"]')

    expect(products.locator(".pick", has_text="a-model.png")).to_be_hidden()  # other roles are filtered out
    products.get_by_label(re.compile("Show only images uploaded as this role")).uncheck()
    expect(products.locator(".pick", has_text="a-model.png")).to_be_visible()

    products.locator("input[data-compose-upload]").set_input_files([str(good), str(broken)])

    new_box = products.locator(".pick", has_text="new-shirt.jpg").locator("input")
    expect(new_box).to_be_checked()
    expect(products.locator(".upload-row.is-kept", has_text="new-shirt.jpg")).to_be_visible()
    expect(products.locator(".upload-row.is-rejected", has_text="broken.jpg")).to_contain_text("damaged")
    page.get_by_label("Prompt *").fill("linen on a terrace")
    page.get_by_label("Prompt *").dispatch_event("change")
    expect(page.locator("#estimate .price")).to_contain_text(re.compile(r"1 image\b"))
    screenshot(page, "uploaded-in-composer")
    assert Asset.objects.get(original_name="new-shirt.jpg").role == "product"
    assert not Asset.objects.filter(original_name="broken.jpg").exists()


def test_staff_save_a_prompt_and_use_it_again(composer, project, screenshot):
    page = composer
    page.get_by_label("Prompt *").fill("soft studio light, marble table")
    page.get_by_label("Preset name").fill("Marble")
    page.get_by_role("button", name="Save prompt").click()
    expect(page.get_by_text("Saved “Marble”.")).to_be_visible()

    page.get_by_label("Prompt *").fill("something else")
    page.get_by_label("Use a saved prompt").select_option(label="Marble")
    expect(page.get_by_label("Prompt *")).to_have_value("soft studio light, marble table")
    screenshot(page, "preset-used")
    assert PromptPreset.objects.get(project=project).text == "soft studio light, marble table"


def test_staff_choose_many_products_by_search_all_invert_and_shift_click(composer, project, staff, screenshot):
    many_products(project, staff, 40)  # SKU-00003.png … SKU-00039.png after three p<n>.png photos
    page = composer
    page.reload()
    products = page.locator('.input-role[data-role="product"]')
    boxes = products.locator(".picker input[type=checkbox]")
    counter = products.locator("[data-picker-count]")
    price = page.locator("#estimate .price")
    page.get_by_label("Prompt *").fill("linen on a terrace")

    products.get_by_role("searchbox").fill("sku-0001")  # SKU-00010 … SKU-00019
    expect(counter).to_have_text("0 chosen · 10 shown")
    products.get_by_role("button", name="All shown").click()
    expect(counter).to_have_text("10 chosen · 10 shown")
    expect(price).to_contain_text("10 products × 1 = 10 images")

    products.get_by_role("searchbox").fill("")
    expect(counter).to_have_text("10 chosen · 41 shown")  # old-shirt.png and 40 more; the model is hidden
    products.get_by_role("button", name="Invert").click()
    expect(price).to_contain_text("31 products × 1 = 31 images")

    products.get_by_role("button", name="None").click()
    boxes.nth(2).click()
    boxes.nth(8).click(modifiers=["Shift"])  # a range: the 3rd to the 9th
    expect(counter).to_have_text("7 chosen · 41 shown")
    expect(price).to_contain_text("7 products × 1 = 7 images")
    screenshot(page, "many-products")


def test_staff_filter_the_library_select_a_range_and_start_a_job_with_it(composer, project, staff, screenshot):
    many_products(project, staff, 30)
    page = composer
    page.goto(f"/projects/{project.pk}/")
    library = page.locator("#asset-library")
    page.get_by_role("searchbox", name="Search file names or SKUs").fill("sku-0000")  # SKU-00003 … SKU-00009
    expect(library.locator(".asset-card")).to_have_count(7)
    expect(page).to_have_url(re.compile(r"q=sku-0000"))
    boxes = library.locator("input[name=asset]")
    boxes.nth(1).check()
    boxes.nth(5).click(modifiers=["Shift"])
    expect(library.locator("[data-selected-count]")).to_have_text("5 selected")
    library.get_by_role("button", name="Invert").click()
    expect(library.locator("[data-selected-count]")).to_have_text("2 selected")
    screenshot(page, "library-selection")

    library.get_by_role("button", name="New job with these").click()

    expect(page).to_have_url(re.compile(r"/compose/\?picked=1$"))
    products = page.locator('.input-role[data-role="product"]')
    expect(products.locator("[data-picker-count]")).to_contain_text("2 chosen")
    page.get_by_label("Prompt *").fill("linen on a terrace")
    page.get_by_label("Prompt *").dispatch_event("change")
    expect(page.locator("#estimate .price")).to_contain_text("2 products × 1 = 2 images")


def test_all_matching_in_the_library_reaches_images_not_loaded_yet(composer, project, staff):
    many_products(project, staff, 80)  # more than a page of the library (60)
    page = composer
    page.goto(f"/projects/{project.pk}/?role=product")
    library = page.locator("#asset-library")
    expect(library.locator(".asset-card")).to_have_count(60)
    library.get_by_label("All 81 matching").check()  # old-shirt.png and the 80
    expect(library.locator("[data-selected-count]")).to_have_text("81 selected")

    library.get_by_role("button", name="New job with these").click()

    expect(page.locator('.input-role[data-role="product"] [data-picker-count]')).to_contain_text("81 chosen")
