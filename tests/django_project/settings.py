"""A fresh project's settings with the app installed, as the README's three steps leave
them: only ``contenttypes``, ``auth`` and ``wisepops.django``. The database and key come
from the test's environment."""

from __future__ import annotations

import os

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "wisepops.django"]
ROOT_URLCONF = "tests.django_project.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["TEST_DB"]}}
USE_TZ = True
WISEPOPS_API_KEY = os.environ["TEST_KEY"]
