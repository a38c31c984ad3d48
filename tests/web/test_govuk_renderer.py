"""The one GOV.UK form renderer: each widget as its GOV.UK component, with its label, hint, error and anchors."""
import re

from django import forms
from django.template import Context, Template

from core.forms import GovukFormRenderer
from policies.models import Ladder


class Everything(forms.Form):
    title = forms.CharField(label="Title", max_length=10, help_text="A few words.")
    body = forms.CharField(label="Body", widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label="Kind", choices=[("a", "Apple"), ("b", "Banana")], widget=forms.RadioSelect)
    colour = forms.ChoiceField(label="Colour", required=False, choices=[("", "Any"), ("red", "Red")])
    tags = forms.MultipleChoiceField(label="Tags", choices=[("x", "X"), ("y", "Y")],
                                     widget=forms.CheckboxSelectMultiple)
    agree = forms.BooleanField(label="I agree")
    upload = forms.FileField(label="File", widget=forms.FileInput(attrs={"accept": ".pdf"}))
    secret = forms.CharField(label="Password", widget=forms.PasswordInput)
    version = forms.IntegerField(widget=forms.HiddenInput)


def render(source, **context):
    return Template("{% load govuk %}" + source).render(Context(context))


def bad_form():
    form = Everything({"title": "x" * 11, "kind": "c", "colour": "red", "secret": "hunter2", "version": "3"})
    form.is_valid()
    return form


def test_the_project_renders_every_form_with_the_govuk_renderer():
    assert isinstance(Everything().renderer, GovukFormRenderer)


def test_a_text_input_has_its_label_hint_error_and_describedby():
    html = render("{{ form.title.as_field_group }}", form=bad_form())
    assert '<div class="govuk-form-group govuk-form-group--error">' in html
    assert '<label class="govuk-label govuk-label--s" for="id_title">Title</label>' in html
    assert '<div id="id_title-hint" class="govuk-hint">A few words.</div>' in html
    assert ('<p id="id_title-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> '
            'Ensure this value has at most 10 characters (it has 11).</p>') in html
    assert ('<input class="govuk-input govuk-input--error" id="id_title" name="title" type="text" value="xxxxxxxxxxx" '
            'aria-describedby="id_title-hint id_title-error">') in html


def test_the_browser_is_not_asked_to_validate_or_cut_an_answer_short():
    html = render("{{ form }}", form=Everything())
    assert "maxlength" not in html and "required" not in html and "cols=" not in html


def test_a_textarea_select_file_and_password_are_their_govuk_components():
    html = render("{{ form }}", form=bad_form())
    assert re.search(r'<textarea class="govuk-textarea govuk-textarea--error" id="id_body" name="body" '
                     r'aria-describedby="id_body-error" rows="3">\s*</textarea>', html)
    assert '<select class="govuk-select" id="id_colour" name="colour">' in html
    assert '<option value="">Any</option><option value="red" selected>Red</option>' in html
    assert ('<input class="govuk-file-upload govuk-file-upload--error" id="id_upload" name="upload" type="file" '
            'aria-describedby="id_upload-error" accept=".pdf">') in html
    assert 'type="password"' in html and "hunter2" not in html


def test_radios_and_checkboxes_are_a_fieldset_whose_first_input_takes_the_anchor():
    form = bad_form()
    html = render("{{ form }}", form=form)
    assert '<fieldset class="govuk-fieldset" aria-describedby="id_kind-error">' in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Kind</legend>' in html
    assert '<input class="govuk-radios__input" id="id_kind_0" name="kind" type="radio" value="a">' in html
    assert '<label class="govuk-label govuk-radios__label" for="id_kind_1">Banana</label>' in html
    assert '<input class="govuk-checkboxes__input" id="id_tags_0" name="tags" type="checkbox" value="x">' in html
    assert (form["kind"].error_anchor, form["tags"].error_anchor, form["title"].error_anchor) == (
        "id_kind_0", "id_tags_0", "id_title")


def test_a_single_checkbox_carries_the_field_label_and_a_hidden_field_only_its_input():
    html = render("{{ form }}", form=bad_form())
    assert '<label class="govuk-label govuk-checkboxes__label" for="id_agree">I agree</label>' in html
    assert '<input type="hidden" name="version" value="3" id="id_version">' in html
    assert 'for="id_version"' not in html


def test_the_error_summary_links_each_error_to_its_input_in_form_order():
    form = bad_form()
    form.add_error(None, "Something else went wrong.")
    html = render("{% govuk_error_summary form anchor='action-respond' %}", form=form)
    assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in html
    anchors = re.findall(r'<a href="#([\w-]+)">', html)
    assert anchors == ["action-respond", "id_title", "id_body", "id_kind_0", "id_tags_0", "id_agree", "id_upload"]


def test_no_errors_means_no_summary():
    assert render("{% govuk_error_summary form %}", form=Everything()).strip() == ""
    assert render("{% govuk_error_summary form %}", form=None).strip() == ""


def test_the_page_chooses_the_layout_classes_the_label_size_and_a_heading():
    html = render('{% govuk_field form.title classes="govuk-!-width-full" label_class="govuk-label--l" '
                  'heading=True %}', form=Everything())
    assert ('<h1 class="govuk-label-wrapper"><label class="govuk-label govuk-label--l" for="id_title">'
            'Title</label></h1>') in html
    assert 'class="govuk-input govuk-!-width-full"' in html
    legend = render('{% govuk_field form.kind label_class="govuk-fieldset__legend--l" heading=True %}',
                    form=Everything())
    assert ('<legend class="govuk-fieldset__legend govuk-fieldset__legend--l">'
            '<h1 class="govuk-fieldset__heading">Kind</h1></legend>') in legend


def test_a_widget_class_joins_the_component_class():
    class Wide(forms.Form):
        name = forms.CharField(widget=forms.TextInput(attrs={"class": "govuk-!-width-one-half", "spellcheck": "false"}))

    html = render("{{ form }}", form=Wide())
    assert ('<input class="govuk-input govuk-!-width-one-half" id="id_name" name="name" type="text" '
            'spellcheck="false">') in html


def test_a_model_choice_may_give_each_radio_a_hint(ladders):
    class LadderField(forms.ModelChoiceField):
        def hint_from_instance(self, obj):
            return f"About {obj.name}"

    class Pick(forms.Form):
        ladder = LadderField(queryset=Ladder.objects.current().filter(slug="bexley-internal"), to_field_name="slug",
                             empty_label=None, widget=forms.RadioSelect)

    html = render("{{ form }}", form=Pick())
    assert ('<input class="govuk-radios__input" id="id_ladder_0" name="ladder" type="radio" value="bexley-internal" '
            'aria-describedby="id_ladder_0-hint">') in html
    assert '<div id="id_ladder_0-hint" class="govuk-hint govuk-radios__hint">About Bexley' in html


def test_three_boxes_are_one_govuk_date_input_with_one_error_message():
    class Meeting(forms.Form):
        day = forms.CharField(label="Day", required=False)
        month = forms.CharField(label="Month", required=False)
        year = forms.CharField(label="Year", required=False)

    form = Meeting({"arrange-day": "40"}, prefix="arrange")
    form.is_valid()
    form.add_error("day", "The date must be a real date")
    html = render('{% govuk_date_input form.day form.month form.year legend="Date" hint="For example, 27 3 2026" %}',
                  form=form)
    assert ('<fieldset class="govuk-fieldset" role="group" '
            'aria-describedby="id_arrange-day-hint id_arrange-day-error">') in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Date</legend>' in html
    assert html.count('class="govuk-error-message"') == 1 and 'id="id_arrange-day-error"' in html
    assert ('<input class="govuk-input govuk-date-input__input govuk-input--width-2 govuk-input--error" '
            'id="id_arrange-day" name="arrange-day" type="text" inputmode="numeric" value="40">') in html
    assert ('class="govuk-input govuk-date-input__input govuk-input--width-4 govuk-input--error" '
            'id="id_arrange-year"') in html
