from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, Q

from .models import ClosureDay, Organisation, Partnership, Team, TierMapping, User


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 1


class TierMappingInline(admin.TabularInline):
    model = TierMapping
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "member_of", "active_staff", "active_users", "close_of_business"]
    list_filter = ["kind", "partnerships"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TierMappingInline, ClosureDayInline]
    # Set by the organisation's own administrators on their retention page, where it is checked against its
    # bounds and each change goes into their audit trail; the Django admin would do neither.
    readonly_fields = ["retention_days"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request)
            .annotate(users_active=Count("staff", filter=Q(staff__is_active=True), distinct=True))
            .prefetch_related("partnerships")
        )

    @admin.display(description="Partnerships")
    def member_of(self, obj: Organisation) -> str:
        return ", ".join(p.name for p in obj.partnerships.all()) or "–"

    @admin.display(description="Active user accounts", ordering="users_active")
    def active_users(self, obj: Organisation) -> int:
        # The reports count these per 100 staff where no staff number is recorded.
        return obj.users_active


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "board_count"]
    search_fields = ["name", "slug", "members__name"]
    filter_horizontal = ["members"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            members_n=Count("members", distinct=True), board_n=Count("board", distinct=True)
        )

    @admin.display(description="Member organisations", ordering="members_n")
    def member_count(self, obj: Partnership) -> int:
        return obj.members_n

    @admin.display(description="Board members and QA&P chair", ordering="board_n")
    def board_count(self, obj: Partnership) -> int:
        return obj.board_n


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "member_count"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name", "organisation__name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(members_n=Count("members"))

    @admin.display(description="Members", ordering="members_n")
    def member_count(self, obj: Team) -> int:
        return obj.members_n


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ["date", "organisation", "reason"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["reason", "organisation__name"]
    date_hierarchy = "date"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "partnership", "role", "line_manager",
                    "is_active"]
    list_filter = ["organisation", "role", "is_active", "partnership", "is_staff"]
    list_select_related = ["organisation", "partnership", "line_manager"]
    search_fields = ["username", "first_name", "last_name", "email", "job_title", "organisation__name"]
    autocomplete_fields = ["line_manager"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Organisation and role", {
            "fields": ("organisation", "partnership", "role", "job_title", "team", "line_manager"),
        }),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Organisation and role", {"fields": ("organisation", "partnership", "role", "team", "line_manager")}),
    )
