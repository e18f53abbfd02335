"""Index upkeep: a registered model's save or delete updates its index entry in the same
transaction (an allowed use of signals, see docs/decisions/0006)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models.signals import post_delete, post_save

if TYPE_CHECKING:
    from relais.search.registry import Source


def connect(source: Source) -> None:
    def saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
        if kwargs.get("raw"):
            return
        from relais.search import services

        if update_fields is not None and not source_fields_changed(source, update_fields):
            return
        services.index_object(source, instance, created=bool(kwargs.get("created")))

    def deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
        from relais.search import services

        services.unindex(source.kind, instance.pk)

    uid = f"relais.search.{source.kind}"
    post_save.connect(saved, sender=source.model, weak=False, dispatch_uid=uid + ".save")
    post_delete.connect(deleted, sender=source.model, weak=False, dispatch_uid=uid + ".delete")


def source_fields_changed(source: Source, update_fields: Any) -> bool:
    watched = getattr(source, "indexed_fields", None)
    return watched is None or bool(set(update_fields) & set(watched))
