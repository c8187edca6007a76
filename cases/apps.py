from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete, pre_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Case tracker")

    def ready(self):
        from django.contrib.auth import get_user_model
        from simple_history import register

        from . import caching, checks, roles, signals  # noqa: F401  (checks registers itself)

        # Changes to editor accounts (groups, staff status) are part of the
        # record too; password hashes are not copied into it. Registered here,
        # once every app's models are loaded, not while cases.models loads.
        register(get_user_model(), app="cases", excluded_fields=["password", "last_login"])

        # pre_save also runs for fixtures (loaddata saves "raw", skipping save()),
        # so derived values are filled in however a record arrives.
        pre_save.connect(signals.fill_derived_fields, dispatch_uid="cases_fill_derived_fields")
        post_save.connect(signals.event_saved, sender="cases.Event", dispatch_uid="cases_event_saved")
        post_save.connect(signals.person_saved, sender="cases.Person", dispatch_uid="cases_person_saved")
        post_delete.connect(signals.event_deleted, sender="cases.Event", dispatch_uid="cases_event_deleted")
        post_save.connect(signals.citation_changed, sender="cases.Citation", dispatch_uid="cases_citation_saved")
        post_delete.connect(signals.citation_changed, sender="cases.Citation", dispatch_uid="cases_citation_deleted")
        post_save.connect(signals.source_saved, sender="cases.Source", dispatch_uid="cases_source_saved")
        post_save.connect(signals.record_saved, dispatch_uid="cases_record_saved")
        pre_delete.connect(signals.record_deleted, dispatch_uid="cases_record_deleted")
        # Anything public saved or deleted moves the public version (HTTP caching).
        post_save.connect(caching.record_saved, dispatch_uid="cases_public_saved")
        post_delete.connect(caching.record_deleted, dispatch_uid="cases_public_deleted")
        # The name index; a deleted spelling's tokens go with it (foreign key cascade).
        post_save.connect(signals.name_saved, sender="cases.Person", dispatch_uid="cases_person_name_saved")
        post_save.connect(signals.name_saved, sender="cases.NameVariant", dispatch_uid="cases_variant_name_saved")
        # After every migrate, once Django has made the permissions: the three roles.
        post_migrate.connect(roles.setup_roles, sender=self, dispatch_uid="cases_setup_roles")
        # The rate limits' counters live in a cache table that is not a model;
        # migrate makes it too, so no deployment step can forget it.
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="cases_create_cache_tables")
        connection_created.connect(signals.set_trigram_threshold, dispatch_uid="cases_set_trigram_threshold")


def create_cache_tables(using, **kwargs):
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
