"""``path("wisepops/", include("wisepops.django.urls"))``: ``POST wisepops/webhook``, and
``POST wisepops/webhook/<website>`` for one website of several."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "wisepops"
urlpatterns = [
    path("webhook", views.webhook, name="webhook"),
    path("webhook/<str:website>", views.webhook, name="website-webhook"),
]
