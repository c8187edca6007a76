"""The site in English, Russian and Tajik: addresses, the switch, the first visit."""

import io
import re
import xml.etree.ElementTree as ET

from tests.conftest import body, make_case, make_person


def head_of(response):
    return response.content.decode().split("</head>")[0]


def test_each_language_has_its_own_address_and_english_stays_at_the_root(client, db):
    make_case(person=make_person(name="Farrukh", slug="farrukh"), slug="farrukh-case")
    for prefix, language in (("", "en"), ("/ru", "ru"), ("/tg", "tg")):
        for path in ("/", "/cases/", "/cases/farrukh-case/", "/people/farrukh/"):
            response = client.get(prefix + path)
            assert response.status_code == 200, prefix + path
            assert f'<html lang="{language}">' in response.content.decode(), prefix + path
    assert client.get("/en/cases/").status_code == 404


def test_every_page_links_to_itself_in_each_language(client, db):
    make_case(person=make_person(name="Farrukh", slug="farrukh"), slug="farrukh-case")
    page = client.get("/ru/cases/farrukh-case/").content.decode()
    switch = page.split('<nav class="languages"')[1].split("</nav>")[0]
    assert 'href="/cases/farrukh-case/?lang=en" hreflang="en" lang="en">English</a>' in switch
    assert 'href="/ru/cases/farrukh-case/?lang=ru" hreflang="ru" lang="ru" aria-current="page">Русский</a>' in switch
    assert 'href="/tg/cases/farrukh-case/?lang=tg" hreflang="tg" lang="tg">Тоҷикӣ</a>' in switch


def test_the_switch_keeps_the_list_filters(client, db):
    page = client.get("/cases/?status=detained&page=2").content.decode()
    assert 'href="/ru/cases/?status=detained&amp;page=2&amp;lang=ru"' in page


def test_every_page_names_its_other_languages_in_its_head(client, db):
    make_case(person=make_person(name="Farrukh", slug="farrukh"), slug="farrukh-case")
    head = head_of(client.get("/tg/people/farrukh/"))
    assert '<link rel="alternate" hreflang="en" href="http://testserver/people/farrukh/">' in head
    assert '<link rel="alternate" hreflang="ru" href="http://testserver/ru/people/farrukh/">' in head
    assert '<link rel="alternate" hreflang="tg" href="http://testserver/tg/people/farrukh/">' in head
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/people/farrukh/">' in head


def test_a_first_visit_from_a_russian_browser_goes_to_the_russian_home_page(client, db):
    response = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert response.status_code == 302
    assert response["Location"] == "/ru/"
    assert {"accept-language", "cookie"} <= {part.strip().lower() for part in response["Vary"].split(",")}
    assert not response.cookies, "a guess is not remembered"


def test_the_browsers_order_of_preference_decides(client, db):
    assert client.get("/", headers={"Accept-Language": "de;q=1, tg;q=0.8, ru;q=0.5"})["Location"] == "/tg/"
    response = client.get("/", headers={"Accept-Language": "de, en;q=0.9, ru;q=0.5"})
    assert response.status_code == 200
    assert "accept-language" in response["Vary"].lower()


def test_only_the_home_page_guesses_the_language(client, db):
    make_case(slug="farrukh-case")
    for path in ("/cases/", "/cases/farrukh-case/", "/api/cases/", "/sitemap.xml"):
        response = client.get(path, headers={"Accept-Language": "ru"})
        assert response.status_code == 200, path


def test_a_language_picked_with_the_switch_is_remembered_and_beats_the_browser(client, db):
    response = client.get("/?lang=en", headers={"Accept-Language": "ru"})
    assert response.status_code == 302 and response["Location"] == "/"
    cookie = response.cookies["django_language"]
    assert cookie.value == "en" and cookie["httponly"] and cookie["samesite"] == "Lax"
    response = client.get("/", headers={"Accept-Language": "ru"})
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()

    response = client.get("/ru/cases/?status=detained&lang=tg")
    assert response["Location"] == "/tg/cases/?status=detained"
    assert client.get("/")["Location"] == "/tg/"


def test_an_unknown_language_choice_is_ignored(client, db):
    response = client.get("/cases/?lang=xx")
    assert response["Location"] == "/cases/"
    assert not response.cookies


def test_the_admin_speaks_the_editors_language(client, db):
    # The admin has one address; Django's own admin strings come in the editor's language.
    page = client.get("/admin/login/", headers={"Accept-Language": "ru"}, follow=True).content.decode()
    assert 'lang="ru"' in page
    assert "Пароль" in page
    client.get("/?lang=tg")
    assert 'lang="tg"' in client.get("/admin/login/").content.decode()


def test_the_data_keeps_one_address_for_every_language(client, db):
    page = client.get("/ru/cases/").content.decode()
    assert 'href="/export/cases.csv"' in page and 'href="/api/docs/"' in page
    assert 'href="/ru/feed/"' in page, "the feed's titles are for people: it speaks the page's language"
    assert client.get("/api/cases/").status_code == 200
    for path in ("/api/cases/?page=2", "/export/cases.csv", "/sitemap.xml"):
        response = client.get(f"/ru{path}")
        assert response.status_code == 301 and response["Location"] == path


def test_the_sitemap_lists_each_page_with_its_other_languages(client, db):
    make_case(person=make_person(name="Farrukh", slug="farrukh"), slug="farrukh-case")
    root = ET.fromstring(client.get("/sitemap.xml").content)
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    entry = next(url for url in root.findall("s:url", namespace) if url.find("s:loc", namespace).text.endswith("/ru/cases/farrukh-case/"))
    alternates = {link.get("hreflang"): link.get("href") for link in entry.findall("x:link", namespace)}
    assert alternates == {
        "en": "http://testserver/cases/farrukh-case/",
        "ru": "http://testserver/ru/cases/farrukh-case/",
        "tg": "http://testserver/tg/cases/farrukh-case/",
        "x-default": "http://testserver/cases/farrukh-case/",
    }
    robots = client.get("/robots.txt").content.decode()
    assert re.search(r"^Sitemap: http://testserver/sitemap.xml$", robots, re.M)


def test_pages_speak_the_readers_language(client, db):
    from cases.models import Status

    for n in range(3):
        make_case(person=make_person(name=f"Person {n}"), slug=f"case-{n}")
    russian = client.get("/ru/cases/").content.decode()
    assert "Все дела" in russian and "3 дела" in russian
    assert "Содержится под стражей" in client.get("/ru/").content.decode()
    tajik = client.get("/tg/cases/").content.decode()
    assert "Ҳамаи парвандаҳо" in tajik and "3 парванда" in tajik
    assert "Дар ҳабс қарор дорад" in client.get(f"/tg/cases/?status={Status.DETAINED}").content.decode()


def test_the_not_found_page_speaks_the_readers_language(client, db):
    response = client.get("/ru/no-such-page/")
    assert response.status_code == 404
    assert "Этой страницы здесь нет" in response.content.decode()


def test_a_reader_sees_the_name_in_their_script_and_the_other_spellings_with_their_lang(client, db):
    from cases.models import Script
    from tests.conftest import make_variant

    person = make_person(name="Abdullokhi Shamsiddin", slug="abdullokhi")
    make_case(person=person, slug="abdullokhi-case")
    make_variant(person, "Абдуллохи Шамсиддин", script=Script.CYRILLIC, transliteration=True)
    make_variant(person, "Абдуллоҳи Шамсиддин", script=Script.TAJIK_CYRILLIC, transliteration=True)
    make_variant(person, "Abdullohi Shamsiddin", script=Script.LATIN)

    russian = client.get("/ru/cases/abdullokhi-case/").content.decode()
    assert '<h1 lang="ru">Абдуллохи Шамсиддин</h1>' in russian
    assert '<span class="variant" lang="en">Abdullokhi Shamsiddin</span>' in russian
    assert '<span class="variant" lang="tg">Абдуллоҳи Шамсиддин</span> <span class="note">(наша транслитерация)</span>' in russian
    tajik = client.get("/tg/people/abdullokhi/").content.decode()
    assert '<h1 lang="tg">Абдуллоҳи Шамсиддин</h1>' in tajik
    english = client.get("/cases/abdullokhi-case/").content.decode()
    assert '<h1 lang="en">Abdullokhi Shamsiddin</h1>' in english
    assert '<span class="variant" lang="ru">Абдуллохи Шамсиддин</span>' in english

    listed = client.get("/tg/cases/").content.decode()
    assert '<a lang="tg" class="case-name" href="/tg/cases/abdullokhi-case/">Абдуллоҳи Шамсиддин</a>' in listed
    assert '<a lang="en" class="case-name" href="/cases/abdullokhi-case/">Abdullokhi Shamsiddin</a>' in client.get("/cases/").content.decode()


def test_a_name_in_the_readers_script_that_is_not_public_stays_hidden(client, db):
    from cases.models import Script, Visibility
    from tests.conftest import make_variant

    person = make_person(name="Farrukh", slug="farrukh")
    make_case(person=person, slug="farrukh-case")
    make_variant(person, "Фаррух", script=Script.CYRILLIC, visibility=Visibility.INTERNAL)
    for path in ("/ru/cases/farrukh-case/", "/ru/cases/", "/ru/people/farrukh/"):
        assert "Фаррух" not in client.get(path).content.decode(), path


def test_a_reader_gets_the_text_in_their_language_or_the_original_marked_as_untranslated(client, db):
    from tests.conftest import make_citation, make_event

    case = make_case(
        person=make_person(name="Farrukh", slug="farrukh"),
        slug="farrukh-case",
        title="Deportation from Russia",
        title_ru="Депортация из России",
        summary="Deported in 2023.",
        summary_ru="Депортирован в 2023 году.",
    )
    make_citation(case=case)  # a summary is shown only when a public source supports it
    make_event(case, description="Handed over at the airport.")

    russian = client.get("/ru/cases/farrukh-case/").content.decode()
    assert '<p class="kicker" lang="ru">Депортация из России</p>' in russian
    assert '<p class="summary" lang="ru">Депортирован в 2023 году. <span class="language-note" lang="ru">(перевод с английского оригинала)</span>' in russian
    assert '<p lang="en">Handed over at the airport. <span class="language-note" lang="ru">(ещё не переведено: оригинал на английском)</span>' in russian

    tajik = client.get("/tg/cases/farrukh-case/").content.decode()
    assert '<p class="kicker" lang="en">Deportation from Russia <span class="language-note" lang="tg">(ҳанӯз тарҷума нашудааст: асли англисӣ)</span>' in tajik
    assert 'lang="ru"' not in tajik.split("<main")[1].split('<nav class="languages"')[0], "no Russian text on a Tajik page"

    english = client.get("/cases/farrukh-case/").content.decode()
    assert '<p class="kicker" lang="en">Deportation from Russia</p>' in english
    assert "language-note" not in english


def test_exports_and_the_api_give_the_original_texts(client, db):
    make_case(slug="farrukh-case", title="Deportation from Russia", title_ru="Депортация из России")
    exported = body(client.get("/export/cases.json", headers={"Accept-Language": "ru"})).decode()
    assert "Deportation from Russia" in exported and "Депортация" not in exported
    assert client.get("/api/cases/").json()["results"][0]["title"] == "Deportation from Russia"


def test_the_importer_writes_the_original_texts_whatever_the_editors_language(db):
    from django.utils import translation

    from cases.importing import open_rows, run_import
    from cases.models import Case

    spreadsheet = "name,case_title,event_type,event_date\nFarrukh,Deportation from Russia,deportation,2023\n"
    with translation.override("ru"):
        report = run_import(lambda: open_rows(io.BytesIO(spreadsheet.encode()), "list.csv"))
        assert report.ok
        report = run_import(lambda: open_rows(io.BytesIO(spreadsheet.encode()), "list.csv"))
    case = Case.objects.get()
    assert (case.title_en, case.title_ru) == ("Deportation from Russia", None)
    assert Case.objects.count() == 1, "importing again matches the same case"


def test_an_editor_writes_each_language_in_the_admin(admin_client, db):
    from cases.models import Case

    person = make_person()
    response = admin_client.get("/admin/cases/case/add/", headers={"Accept-Language": "tg"})
    page = response.content.decode()
    assert 'name="title_en"' in page and 'name="title_ru"' in page and 'name="title_tg"' in page
    assert 'name="excerpt_ru"' not in page, "a source's words are never translated in place"
    from tests.conftest import admin_form_data

    data = admin_form_data(response)
    data.update({"person": person.pk, "title_en": "Detention", "title_tg": "Ҳабс"})
    assert admin_client.post("/admin/cases/case/add/", data, headers={"Accept-Language": "tg"}).status_code == 302
    case = Case.objects.get()
    assert (case.title_en, case.title_ru, case.title_tg) == ("Detention", None, "Ҳабс")


def test_the_seed_reads_in_russian_and_tajik_with_its_translations_marked(client, seeded):
    from cases.models import NameVariant, Script

    russian = client.get("/ru/cases/abdullokhi-shamsiddin/").content.decode()
    assert '<h1 lang="ru">Абдуллохи Шамсиддин</h1>' in russian
    assert '<p class="kicker" lang="ru">Депортация из Германии и содержание в изоляции (инкоммуникадо) в КГБ</p>' in russian
    assert "(перевод с английского оригинала)" in russian
    tajik = client.get("/tg/cases/hizbullo-shovalizoda/").content.decode()
    assert '<h1 lang="tg">Ҳизбулло Шовализода</h1>' in tajik
    assert "Депортатсия аз Австрия" in tajik and "(тарҷума аз асли англисӣ)" in tajik
    cyrillic = NameVariant.objects.filter(script__in=[Script.CYRILLIC, Script.TAJIK_CYRILLIC])
    assert cyrillic.count() >= 7
    assert not cyrillic.filter(transliteration=False).exists(), "the sources write these names in Latin letters only"


def test_dates_are_said_in_the_readers_language_with_its_grammar():
    from cases import dates

    said = {
        ("ru", "2023-01-18"): "18 января 2023",
        ("ru", "2023-01-18/2023-03-21"): "между 18 января и 21 марта 2023 года",
        ("ru", "../2023-03"): "до конца марта 2023",
        ("ru", "2023-03"): "март 2023",
        ("ru", "2023~"): "около 2023 года",
        ("ru", "2022-12-18/2023-03-21"): "между 18 декабря 2022 и 21 марта 2023 года",
        ("tg", "2023-01-18"): "18 январи 2023",
        ("tg", "../2023"): "то охири соли 2023",
        ("tg", "2023-01-18/2023-03-21"): "байни 18 январ ва 21 марти 2023",
        ("en", "2023-01-18/2023-03-21"): "between 18 January and 21 March 2023",
    }
    assert {key: dates.humanize(key[1], language=key[0]) for key in said} == said


def test_the_seeded_case_page_says_its_dates_in_russian(client, seeded):
    page = client.get("/ru/cases/abdullokhi-shamsiddin/").content.decode()
    assert "между 18 января и 21 марта 2023 года" in page
    assert "18 Январь" not in page, "a day takes the genitive month"


def test_an_excerpt_stays_in_the_sources_words_and_its_translation_is_marked(client, db):
    from tests.conftest import make_citation, make_event, make_source

    case = make_case(slug="farrukh-case")
    event = make_event(case)
    make_citation(
        event=event,
        source=make_source(language="ru"),
        excerpt="Задержан в аэропорту.",
        excerpt_translation_en="Detained at the airport.",
        excerpt_translation_tg="Дар фурудгоҳ боздошт шуд.",
    )
    english = client.get("/cases/farrukh-case/").content.decode()
    assert '<blockquote lang="ru">Задержан в аэропорту.</blockquote>' in english
    assert 'Our translation of these words: <span lang="en">Detained at the airport.</span>' in english
    russian = client.get("/ru/cases/farrukh-case/").content.decode()
    assert '<blockquote lang="ru">Задержан в аэропорту.</blockquote>' in russian
    assert "Detained at the airport." not in russian and "excerpt-translation" not in russian
    tajik = client.get("/tg/cases/farrukh-case/").content.decode()
    assert '<span lang="tg">Дар фурудгоҳ боздошт шуд.</span>' in tajik
