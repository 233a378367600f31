"""The leads in Django's admin, read-only: they come from WisePops, not from a form."""

from __future__ import annotations

from typing import Any, Optional

from django.contrib import admin
from django.http import HttpRequest

from .models import Lead


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("collected_at", "wisepop_id", "email", "source", "stored_at")
    list_filter = ("source",)
    search_fields = ("=dedupe_key", "email")
    ordering = ("-collected_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Optional[Any] = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Optional[Any] = None) -> bool:
        return False
