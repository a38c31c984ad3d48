from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ClosureDay, Organisation, Partnership, Team, TierMapping, User


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 1


class TierMappingInline(admin.TabularInline):
    model = TierMapping
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "close_of_business", "active_staff"]
    list_filter = ["kind", "partnerships"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TierMappingInline, ClosureDayInline]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["members"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name"]


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ["date", "organisation", "reason"]
    list_filter = ["organisation"]
    date_hierarchy = "date"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "role", "line_manager", "is_active"]
    list_filter = ["organisation", "role", "is_active", "partnership"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["line_manager"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Organisation and role", {"fields": ("organisation", "partnership", "role", "job_title", "team", "line_manager")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Organisation and role", {"fields": ("organisation", "partnership", "role", "team", "line_manager")}),
    )
