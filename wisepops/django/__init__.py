"""``wisepops.django``: WisePops leads in a Django project, in LeadStore's tables.

``pip install "wisepops[django]"``, then in your settings and URLs::

    INSTALLED_APPS = [..., "wisepops.django"]
    WISEPOPS_API_KEY = os.environ["WISEPOPS_API_KEY"]  # else $WISEPOPS_API_KEY is read
    urlpatterns = [..., path("wisepops/", include("wisepops.django.urls"))]

and ``manage.py migrate``: hooks post to ``/wisepops/webhook``, ``manage.py
wisepops_sync`` pulls what the API lists, both into ``wisepops_leads``, the table
``wisepops sync`` and :class:`wisepops.db.LeadStore` use. Needs no SQLAlchemy.
"""
