"""The notification centre: the list, marking as read, and the e-mail preference. Thin views."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .forms import PreferenceForm
from .selectors import notification_list, notification_unread_count, preference_get
from .services import notification_mark_all_read, notification_mark_read, preference_set

PAGE_SIZE = 25  # a screenful on a laptop, as in the other lists


def _back(request: HttpRequest) -> str:
    """The page to return to after a POST: the list page the person came from, else the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("notifications:list")


@login_required
@require_GET
def notification_list_view(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(notification_list(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {
        "page": page,
        "unread_only": unread_only,
        "unread_count": notification_unread_count(user=request.user),
    })


@login_required
@require_POST
def notification_read_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's notification is not found, exactly like one that does not exist.
    notification = get_object_or_404(notification_list(user=request.user), pk=pk)
    notification_mark_read(notification=notification)
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all_view(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect(_back(request))


@login_required
@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest) -> HttpResponse:
    current = preference_get(user=request.user)
    form = PreferenceForm(request.POST or None, initial={"email_frequency": current.email_frequency})
    if request.method == "POST" and form.is_valid():
        try:
            preference = preference_set(user=request.user, email_frequency=form.cleaned_data["email_frequency"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"E-mail preference saved: {preference.get_email_frequency_display().lower()}.")
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
