"""Images in articles: uploaded by the desk, checked on their bytes, served inline only to
those who may read the article; remote images never reach a reader."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from relais.kb.models import ArticleImage
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def upload(client, article, name: str, content: bytes, kind: str = "image/png"):
    return client.post(
        reverse("kb:image_add", args=[article.pk]),
        {"image": SimpleUploadedFile(name, content, kind)},
    )


def test_an_agent_adds_an_image_that_readers_see_inline(public_article, agent, collaborator):
    response = upload(client_for(agent), public_article, "capture.png", PNG)
    assert response.status_code == 302
    image = ArticleImage.objects.get()
    assert image.content_type == "image/png"
    served = client_for(collaborator).get(image.get_absolute_url())
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert b"".join(served.streaming_content) == PNG


def test_a_non_image_is_refused_and_nothing_is_stored(public_article, agent):
    client = client_for(agent)
    response = upload(client, public_article, "photo.png", b"<html><script>x</script>", "image/png")
    assert response.status_code == 302
    assert not ArticleImage.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "photo.png" in page  # the refusal names the file


def test_images_of_a_draft_are_hidden_from_collaborators(draft_article, agent, collaborator):
    upload(client_for(agent), draft_article, "schema.png", PNG)
    image = ArticleImage.objects.get()
    assert client_for(collaborator).get(image.get_absolute_url()).status_code == 404
    assert client_for(agent).get(image.get_absolute_url()).status_code == 200


def test_collaborators_cannot_upload(public_article, collaborator):
    response = upload(client_for(collaborator), public_article, "x.png", PNG)
    assert response.status_code == 403
    assert not ArticleImage.objects.exists()


def test_remote_images_are_removed_and_local_ones_kept(editor, collaborator):
    from tests.kb.conftest import make_article

    article = make_article(
        editor,
        title="Images",
        body="![pixel](https://tracker.example/p.gif)\n\n![schéma](/connaissances/images/1/)",
    )
    html = client_for(collaborator).get(reverse("kb:detail", args=[article.pk])).content.decode()
    assert "tracker.example" not in html
    assert 'src="/connaissances/images/1/"' in html


def test_images_of_a_deleted_article_are_swept_and_others_kept(
    public_article, draft_article, agent
):
    from datetime import timedelta

    from django.core.files.storage import default_storage

    from relais.kb.services import article_images_sweep_orphans

    upload(client_for(agent), public_article, "garder.png", PNG)
    upload(client_for(agent), draft_article, "jeter.png", PNG)
    kept, gone = (
        ArticleImage.objects.get(article=public_article).storage_name,
        ArticleImage.objects.get(article=draft_article).storage_name,
    )
    draft_article.delete()
    assert article_images_sweep_orphans(older_than=timedelta(0)) == 1
    assert default_storage.exists(kept) and not default_storage.exists(gone)
    assert article_images_sweep_orphans(older_than=timedelta(0)) == 0
