"""The synonym dictionary's data file and the migration that updates existing instances agree."""

import importlib

from relais.search.analysis import _data_lines

update = importlib.import_module("relais.search.migrations.0005_synonyms_update")


def test_dictionary_update_matches_the_data_file():
    lines = set(_data_lines("synonyms_fr.txt"))
    assert set(update.ADDED) <= lines
    assert set(update.REPLACED.values()) <= lines
    assert not set(update.REPLACED) & lines
