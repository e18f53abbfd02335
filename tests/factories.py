"""Test data factories. Users are created through the ORM here only because factories build
fixtures; code under test always goes through services."""

from __future__ import annotations

import factory

from relais.accounts.choices import OrgUnitKind, Role, SiteKind
from relais.accounts.models import OrgUnit, Site, Team, User

PASSWORD = "correct-horse-battery-staple"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"Direction {n}")
    code = factory.Sequence(lambda n: f"dir-{n}")
    kind = OrgUnitKind.DIRECTION


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Agence {n}")
    code = factory.Sequence(lambda n: f"site-{n}")
    kind = SiteKind.AGENCY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@relais.test")
    display_name = factory.Sequence(lambda n: f"Personne {n}")
    role = Role.COLLABORATOR
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Équipe {n}")
    code = factory.Sequence(lambda n: f"team-{n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.members.add(*extracted)
