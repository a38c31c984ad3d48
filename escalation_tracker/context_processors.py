from django.conf import settings


def app(request) -> dict:
    """The header's unread count, and whether the sign-in page lists the demo accounts."""
    context = {"show_demo_logins": settings.SHOW_DEMO_LOGINS}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_notifications"] = user.notifications.filter(read_at__isnull=True).count()
    return context
