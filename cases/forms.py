"""Admin forms that refuse to overwrite a record someone else saved meanwhile."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _


class VersionInput(forms.HiddenInput):
    # The admin writes a label for every field in a fieldset; one pointing at a hidden input is invalid HTML.
    def id_for_label(self, id_):
        return None


class LockedModelForm(forms.ModelForm):
    """Optimistic locking on the record's `edited` time (moved by every save, internal or not).

    The form carries the time the record had when the editor opened it. If
    the record has been saved since, the save is refused with what changed,
    and the form comes back with everything the editor typed; saving again
    then overwrites knowingly.
    """

    loaded_version = forms.CharField(widget=VersionInput, required=False, label="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_version = self.read_current_version() if self.instance.pk else None
        if self.current_version:
            self.fields["loaded_version"].initial = self.current_version.isoformat()

    def read_current_version(self):
        """The record's `edited` as the database has it now, or None if it is gone.

        The admin reads a form's record (and every inline row) from the
        database in the same request, so its own `edited` is current: no
        query per form. An earlier version opened from the history is not.
        """
        if not hasattr(self.instance, "_history"):
            return self.instance.edited
        model = type(self.instance)
        return model._default_manager.filter(pk=self.instance.pk).values_list("edited", flat=True).first()

    class Media:
        js = ["cases/admin-dates.js", "cases/admin-autocomplete-names.js"]

    def _post_clean(self):
        super()._post_clean()
        offer_date_suggestions(self)

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk and self.cleaned_data.get("loaded_version"):
            self.check_not_changed_meanwhile(self.cleaned_data["loaded_version"])
        return cleaned_data

    def check_not_changed_meanwhile(self, loaded_version):
        current = self.current_version
        if current is None:
            raise ValidationError(
                _("Someone deleted this record after you opened it. Copy what you typed before leaving this page."),
                code="deleted_meanwhile",
            )
        try:
            loaded = datetime.datetime.fromisoformat(loaded_version)
        except ValueError:
            loaded = None
        if loaded == current:
            return
        # Show the form again with the newer version, so that saving again is a choice.
        self.data = self.data.copy()
        self.data[self.add_prefix("loaded_version")] = current.isoformat()
        raise ValidationError(
            format_html(
                "{} {}",
                _(
                    "Someone else saved “%(record)s” after you opened it, so your changes were not saved. "
                    "They are still in the form: compare them with what changed, then save again to keep yours."
                )
                % {"record": self.instance},
                describe_changes(self.instance, loaded),
            ),
            code="changed_meanwhile",
        )


def describe_changes(instance, since):
    """What the history says changed in `instance` after `since`, as HTML."""
    # Each history entry keeps the record's own `edited`, the version the editor saw.
    records = list(instance.history.order_by("history_date", "history_id"))
    before = [record for record in records if since and record.edited <= since]
    after = [record for record in records if not since or record.edited > since]
    if not after:
        return _("(Its status or order was recalculated from its events.)")
    newest = after[-1]
    who = ", ".join(sorted({str(record.history_user) for record in after if record.history_user})) or _("an unknown user")
    if not before:
        return format_html(_("Changed by {}."), who)
    delta = newest.diff_against(before[-1])
    if not delta.changes:
        return format_html(_("Saved by {} with no change to the fields."), who)
    rows = format_html_join(
        "",
        "<li>{}: “{}” → “{}”</li>",
        ((instance._meta.get_field(change.field).verbose_name, change.old, change.new) for change in delta.changes),
    )
    return format_html("{} <ul>{}</ul>", format_html(_("Changed by {}:"), who), rows)


def offer_date_suggestions(form):
    """Give each suggested date (“Did you mean 2024-05-20, 20 May 2024?”) a button that puts it in the field.

    The button only fills the field (cases/admin-dates.js): the editor still
    sees the date and saves it. Without JavaScript the suggestion is there to copy.
    """
    for name, errors in list(form.errors.as_data().items()):
        if name not in form.fields:
            continue
        field_id = form[name].auto_id
        for index, error in enumerate(errors):
            if error.code != "edtf_suggestion":
                continue
            edtf = error.params["edtf"]
            form.errors[name][index] = format_html(
                '{} <button type="button" class="accept-date" data-field="{}" data-value="{}">{}</button>',
                error.message % error.params,
                field_id,
                edtf,
                _("Use %(date)s") % {"date": edtf},
            )
