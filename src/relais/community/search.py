"""What the community makes searchable: questions, with their accepted answer (so that a
question answered by a colleague ranks as an answer)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from relais.community.models import Answer, Question
from relais.core.sanitize import markdown_to_text
from relais.search.registry import IndexDoc, Source


class QuestionSource(Source):
    kind = "question"
    label = _("Peer help")
    model = Question

    def document(self, obj: Question) -> IndexDoc | None:
        if obj.is_hidden:  # a hidden question leaves the index until shown again
            return None
        if obj.duplicate_of_id:  # its original is found instead (and carries the answer)
            return None
        text = markdown_to_text(obj.body)
        answer = obj.accepted_answer
        if answer is not None and not answer.is_hidden:
            text = f"{text}\n\n{markdown_to_text(answer.body)}"
        return IndexDoc(
            title=obj.title,
            text=text,
            url=f"/entraide/questions/{obj.pk}/",
            tags=list(obj.tags or ()),
            category_id=obj.category_id,
        )

    def objects(self) -> QuerySet[Question]:
        return Question.objects.select_related("accepted_answer")


def connect_answers(source: QuestionSource) -> None:
    """An edited or deleted accepted answer changes its question's entry."""

    def changed(sender: Any, instance: Answer, **kwargs: Any) -> None:
        if kwargs.get("raw"):
            return
        from relais.search import services

        question = Question.objects.filter(accepted_answer=instance.pk).first()
        if question is not None:
            services.index_object(source, question)

    post_save.connect(changed, sender=Answer, weak=False, dispatch_uid="community.answer.save")
    post_delete.connect(changed, sender=Answer, weak=False, dispatch_uid="community.answer.del")
