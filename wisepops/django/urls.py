"""``path("wisepops/", include("wisepops.django.urls"))``: ``POST wisepops/webhook``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "wisepops"
urlpatterns = [path("webhook", views.webhook, name="webhook")]
