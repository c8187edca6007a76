"""Name search on the public list: any spelling, either script, on both databases."""

import re

import pytest
from django.db import connection

from cases.models import Visibility
from tests.conftest import make_case, make_person, make_variant

pytestmark = pytest.mark.django_db


def names_found(client, query):
    response = client.get("/cases/", {"q": query})
    assert response.status_code == 200
    return re.findall(r'class="case-name" href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize(
    "query",
    ["Abdullohi", "abdullokhi shamsiddin", "Шамсиддин", "Абдуллоҳи", "ABDULLOKHI", "Shamsiddin Abdullohi", "Абдуллохи Шамсиддин"],
)
def test_every_spelling_in_either_script_finds_the_seeded_case(client, seeded, query):
    assert names_found(client, query) == ["Abdullokhi Shamsiddin"]


@pytest.mark.parametrize(
    "stored, query",
    [
        ("Hizbullo Shovalizoda", "Ҳизбулло Шовализода"),
        ("Ҳизбулло Шовализода", "Hizbullo"),
        ("Jamshed Khudoyorov", "Джамшед Худоёров"),
        ("Джамшед Худоёров", "Dzhamshed Hudoiorov"),
        ("Sharofiddin Gadoev", "Шарофиддин"),
    ],
)
def test_variant_pairs_find_each_other_in_both_directions(client, stored, query):
    make_case(person=make_person(name=stored))
    assert names_found(client, query) == [stored]


def test_a_name_variant_is_searched_too(client):
    person = make_person(name="Muhammadikboli Sadriddin")
    make_variant(person, "Муҳаммадиқболи Садриддин")
    make_case(person=person)
    assert names_found(client, "Мухаммадикболи") == ["Muhammadikboli Sadriddin"]


def test_an_internal_variant_finds_nothing(client):
    person = make_person(name="Ubaidullo Saidi")
    make_variant(person, "Secret Alias", visibility=Visibility.INTERNAL)
    make_case(person=person)
    assert names_found(client, "secret alias") == []


def test_an_internal_person_is_not_found(client):
    make_case(person=make_person(name="Hidden Person", visibility=Visibility.INTERNAL))
    assert names_found(client, "hidden") == []


def test_every_word_must_match(client):
    make_case(person=make_person(name="Ali Aliev"))
    make_case(person=make_person(name="Ali Rahimov"))
    assert names_found(client, "ali rahimov") == ["Ali Rahimov"]
    assert names_found(client, "Али") == ["Ali Aliev", "Ali Rahimov"]


def test_a_query_of_punctuation_only_finds_nothing_rather_than_everything(client):
    make_case(person=make_person(name="Ali Aliev"))
    assert names_found(client, "--- !!") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram similarity needs PostgreSQL")
def test_on_postgresql_a_misspelt_name_is_found_and_the_closest_ranks_first(client):
    make_case(person=make_person(name="Abdullokhi Shamsiddin"))
    make_case(person=make_person(name="Abdurahmon Shamsiev"))
    # "Shamsudin" is in neither name, but close to both; the closer one comes first.
    assert names_found(client, "Abdullohi Shamsudin")[0] == "Abdullokhi Shamsiddin"
