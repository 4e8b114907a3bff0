from django.db import migrations


def add_watchdog(apps, schema_editor):
    """Every minute: restart the driver chain if it died with its worker (the driver is gone since 0005)."""
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="runs-driver-watchdog",
        defaults={"func": "studio.runs.driver.driver_tick", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_watchdog(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="runs-driver-watchdog").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(add_watchdog, remove_watchdog)]
