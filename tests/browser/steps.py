"""The steps journeys share: raising through the two-step form, acting through an escalation's folded action
forms, signing out. Each step that leads to a new page checks it (axe and reflow) through the journey."""
from __future__ import annotations

import re


def main_text(page) -> str:
    return re.sub(r"\s+", " ", page.inner_text("main"))


def fill(page, scope, names: dict[str, object]) -> None:
    """Fill fields by name: radios and checkboxes are ticked by value (a list ticks several), selects chosen
    by value or else by the option's words, anything else typed into."""
    for name, value in names.items():
        values = value if isinstance(value, list | tuple) else [value]
        first = scope.locator(f'[name="{name}"]').first
        kind = (first.get_attribute("type") or "").lower()
        tag = first.evaluate("e => e.tagName.toLowerCase()")
        if kind in ("radio", "checkbox"):
            for one in values:
                scope.locator(f'[name="{name}"][value="{one}"]').check()
        elif tag == "select":
            first.select_option(value=option_value(first, str(values[0])))
        else:
            first.fill(str(values[0]))


def option_value(select, wanted: str) -> str:
    """The value of the option meant by ``wanted``: its value, its words, or a person's username."""
    from organisations.models import User

    for option in select.locator("option").all():
        value, words = option.get_attribute("value") or "", option.inner_text().strip()
        if wanted in (value, words) or (wanted and words.startswith(wanted)):
            return value
    person = User.objects.filter(username=wanted).first()
    if person is not None:
        for option in select.locator("option").all():
            if option.get_attribute("value") in (str(person.pk), person.username) or \
                    option.inner_text().strip().startswith(person.get_full_name()):
                return option.get_attribute("value") or ""
    raise AssertionError(f"No option {wanted!r} in {select.inner_text()!r}")


def raise_escalation(journey, page, *, ladder: str, risk: str = "standard", reference: str,
                     category: str | None = None, **details) -> str:
    """Raise through the two-step form; return the escalation's path (its page)."""
    journey.visit(page, "/escalations/raise/")
    fill(page, page, {"ladder": ladder, "risk_level": risk})
    journey.submit(page, page.get_by_role("button", name="Continue"))
    fields = {"new_reference": reference, "decision_challenged": "Case closed to early help.",
              "concern": "Bruising reported twice by the nursery.", "basis": "evidence",
              "desired_outcome": "A strategy discussion.", **details}
    fill(page, page, fields)
    category_select = page.locator("[name=category]")
    if category:
        category_select.select_option(category)
    else:
        category_select.select_option(index=1)
    journey.submit(page, page.get_by_role("button", name="Raise the disagreement"))
    assert "/raised/" in page.url, main_text(page)
    return re.sub(r"^https?://[^/]+", "", page.url).replace("/raised/", "/")


def open_action(page, name: str):
    """Open an action's folded form (a <details> with the id action-<name>) and return it."""
    details = page.locator(f"#action-{name}")
    assert details.count(), f"{name} is not offered here: {main_text(page)[:400]}"
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def act(journey, page, name: str, **fields) -> None:
    """Take the action ``name`` on the escalation's page: open its form, fill it, send it, check the page after."""
    form = open_action(page, name)
    fill(page, form, {f"{name}-{field}": value for field, value in fields.items()})
    journey.submit(page, form.locator("button[type=submit]"))
    errors = page.locator(".govuk-error-summary, .govuk-error-message")
    assert not errors.count() or not errors.first.is_visible(), errors.first.inner_text()


def sign_out(page) -> None:
    page.click("[data-testid=user-bar] button[type=submit]")
    page.wait_for_url("**/sign-in/**")
