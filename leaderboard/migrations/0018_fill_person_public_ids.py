import secrets

from django.db import migrations

# Filling the people's public ids moves the usage version (the people's triggers, 0009), so
# no ranking stored before, whose places have no public id, is read again.


def fill(apps, schema_editor):
    Person = apps.get_model("leaderboard", "Person")
    people = list(Person.objects.filter(public_id__isnull=True).only("pk"))
    for person in people:
        person.public_id = secrets.token_urlsafe(12)
    Person.objects.bulk_update(people, ["public_id"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("leaderboard", "0017_person_public_id_place_public_id"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
