"""The three editing roles, kept in step with the models on every `migrate`.

Editor: adds and changes records; cannot publish, unpublish or delete.
Publisher: an Editor who also publishes, unpublishes and deletes.
Administrator: everything, including user accounts and their groups.
"""

from django.utils.translation import gettext_noop

EDITOR = gettext_noop("Editor")
PUBLISHER = gettext_noop("Publisher")
ADMINISTRATOR = gettext_noop("Administrator")


def setup_roles(**kwargs):
    from django.contrib.auth.models import Group, Permission

    records = Permission.objects.filter(content_type__app_label="cases").exclude(
        content_type__model__startswith="historical"
    )
    editing = records.filter(codename__regex=r"^(view|add|change)_")
    history = Permission.objects.filter(content_type__app_label="cases", content_type__model__startswith="historical", codename__startswith="view_")
    publishing = records.filter(codename__regex=r"^(delete_|publish$)")
    roles = {
        EDITOR: [*editing, *history],
        PUBLISHER: [*editing, *history, *publishing],
        ADMINISTRATOR: list(Permission.objects.all()),
    }
    for name, permissions in roles.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
