"""The escalations app in the Django admin: only the ladders, with a count of the escalations on each version.

The admin is for platform staff, who are not parties (CONTRACT section 8.6): no escalation, timeline entry,
participant or attachment is registered here, so none is shown, changed or deleted through it. Every
change to an escalation goes through the services, from the product's pages or its API.
"""
from django.contrib import admin
from django.db.models import Count

from policies.admin import LadderAdmin as PolicyLadderAdmin
from policies.models import Ladder

from .ladder_versions import ladder_freeze_for_edit


class LadderAdmin(PolicyLadderAdmin):
    """The ladder admin of ``policies``, with the escalations on each version: saving an edit keeps
    them on the version they were raised on, with a timeline entry each.

    Registered here, in place of the one ``policies`` registers, because only this app may know both.
    """

    list_display = [*PolicyLadderAdmin.list_display, "escalation_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(escalations_n=Count("escalations", distinct=True))

    @admin.display(description="Escalations on this version", ordering="escalations_n")
    def escalation_count(self, obj: Ladder) -> int:
        return obj.escalations_n

    def version_freeze(self, request, ladder: Ladder) -> Ladder:
        return ladder_freeze_for_edit(ladder_id=ladder.pk, actor=request.user)


admin.site.unregister(Ladder)
admin.site.register(Ladder, LadderAdmin)
