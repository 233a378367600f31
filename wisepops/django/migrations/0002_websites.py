"""Every website of an account in one table: each lead's website, and each cursor's key.

The same columns ``LeadStore.create()`` adds, with the same SQL; a column it added first
is adopted. The rows already there are the website ``default``'s.
"""

from django.db import migrations, models

from wisepops.django.operations import AddColumnUnlessThere


class Migration(migrations.Migration):
    dependencies = [("wisepops", "0001_initial")]

    operations = [
        AddColumnUnlessThere(
            model_name="lead",
            name="website",
            field=models.TextField(default="default"),
            preserve_default=False,
        ),
        AddColumnUnlessThere(
            model_name="synccursor",
            name="key_fingerprint",
            field=models.CharField(max_length=16, null=True),
        ),
    ]
