from django.contrib import admin, messages

from .models import Category, Ladder, RiskRule, Stage
from .services import ladder_freeze_version


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


class RiskRuleInline(admin.TabularInline):
    model = RiskRule
    extra = 0


@admin.register(Ladder)
class LadderAdmin(admin.ModelAdmin):
    """Saving a ladder freezes what was stored as a version of its own, so live escalations keep the
    rules they were raised on, and the edited ladder becomes the next, current version."""

    list_display = ["slug", "version", "is_current", "name", "organisation", "partnership"]
    list_filter = ["is_current", "organisation", "partnership"]
    search_fields = ["slug", "name"]
    readonly_fields = ["version", "is_current", "created_at"]
    inlines = [StageInline, CategoryInline, RiskRuleInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_current:
            return [f.name for f in Ladder._meta.fields]  # a frozen version is history
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            frozen = ladder_freeze_version(ladder_id=obj.pk)
            obj.version = Ladder.objects.get(pk=obj.pk).version
            obj.is_current = True
            messages.info(request, f"Saved as version {obj.version}; version {frozen.version} is kept for the "
                                   "escalations raised on it.")
        super().save_model(request, obj, form, change)
