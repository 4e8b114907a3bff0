"""Outputs carry their run's project, so the gallery reads a project's newest outputs from one index."""

import django.db.models.deletion
from django.db import migrations, models


def fill_projects(apps, schema_editor):
    Output, Run = apps.get_model("runs", "Output"), apps.get_model("runs", "Run")
    Output.objects.update(
        project_id=models.Subquery(Run.objects.filter(pk=models.OuterRef("run_id")).values("project_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("runs", "0006_run_images_stored"),
    ]

    operations = [
        migrations.AddField(
            model_name="output",
            name="project",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="projects.project"
            ),
        ),
        migrations.RunPython(fill_projects, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="output",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="projects.project"
            ),
        ),
        migrations.AddIndex(
            model_name="output",
            index=models.Index(fields=["project", "created_at", "id"], name="output_project_newest"),
        ),
    ]
