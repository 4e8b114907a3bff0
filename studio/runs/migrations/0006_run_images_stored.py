from django.db import migrations, models
from django.db.models import Count


def count_images(apps, schema_editor):
    """Counted once; from now on output_store keeps the counter."""
    Run = apps.get_model("runs", "Run")
    Output = apps.get_model("runs", "Output")
    stored = Output.objects.filter(kind="image").order_by().values("run").annotate(n=Count("id"))
    for row in stored.iterator():
        Run.objects.filter(pk=row["run"]).update(images_stored=row["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("runs", "0005_engine_claims"),
    ]

    operations = [
        migrations.AddField(
            model_name="run",
            name="images_stored",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_images, migrations.RunPython.noop),
    ]
