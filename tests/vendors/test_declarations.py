"""What each vendor can do is declared by its adapter, and the declarations hold up against the adapter."""

import pytest

from studio.vendors.base import LostTaskRecovery, NotSupported
from studio.vendors.catalogue import KINDS, adapter_class, catalogue

ADAPTERS = {kind: adapter_class(kind) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_a_declared_count_parameter_is_one_of_the_vendors_parameters(kind):
    adapter = ADAPTERS[kind](base_url="", credentials={})
    names = {param.name for entry in catalogue(kind) for param in adapter.parameters(entry.operation, entry.model)}
    assert ADAPTERS[kind].count_param is None or ADAPTERS[kind].count_param in names
    for parameter in ADAPTERS[kind].catalogues:
        assert parameter in names


@pytest.mark.parametrize("kind", KINDS)
def test_declared_catalogues_and_recovery_are_backed_by_methods(kind):
    cls = ADAPTERS[kind]
    for method in cls.catalogues.values():
        assert callable(getattr(cls, method))
    if cls.lost_task_recovery == LostTaskRecovery.TASK_LIST:
        assert cls.find_lost_task is not adapter_class("imagewash").find_lost_task  # its own, not the base's
    else:
        with pytest.raises(NotSupported):
            cls(base_url="", credentials={}).find_lost_task(None, sent_at=None, lost_at=None, known_ids=set())


def test_what_each_vendor_can_recover_is_as_the_readme_says():
    recovery = {kind: cls.lost_task_recovery for kind, cls in ADAPTERS.items()}
    assert recovery == {
        "imagewash": LostTaskRecovery.NONE,
        "imagetasks": LostTaskRecovery.NONE,
        "hdredraw": LostTaskRecovery.NONE,
        "suchuang": LostTaskRecovery.TASK_LIST,
        "lingtu": LostTaskRecovery.RESEND,
    }
    assert [kind for kind, cls in ADAPTERS.items() if cls.can_cancel] == ["lingtu"]
    assert ADAPTERS["suchuang"].default_deadline_seconds == 180  # its document's own client waits 180 s


def test_the_spend_report_takes_each_vendors_unit_from_its_adapter():
    from studio.console.spend_selectors import spend_cost_unit

    assert spend_cost_unit("imagewash") == "coins" and spend_cost_unit("suchuang") == "points"
    assert spend_cost_unit("lingtu") == "units"  # it states no charge of its own
