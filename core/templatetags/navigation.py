"""The service navigation's items (GOV.UK service navigation): the current page's item is marked."""
from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_item(context, url_name: str, label: str, hidden: str = "") -> SafeString:
    """One item of the menu; the page at ``url_name`` (or under it) is the active one, with aria-current.

    ``hidden`` completes a short label for screen readers ("Raise" + " a disagreement").
    """
    extra = format_html('<span class="govuk-visually-hidden">{}</span>', hidden) if hidden else ""
    href = reverse(url_name)
    request = context.get("request")
    path = request.path if request is not None else ""
    active = path == href or (href != "/" and path.startswith(href) and href.count("/") > 2)
    if active:
        return format_html('<li class="govuk-service-navigation__item govuk-service-navigation__item--active">'
                           '<a class="govuk-service-navigation__link" href="{}" aria-current="page">'
                           '<strong class="govuk-service-navigation__active-fallback">{}</strong>{}</a></li>',
                           href, label, extra)
    return format_html('<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" '
                       'href="{}">{}{}</a></li>', href, label, extra)
