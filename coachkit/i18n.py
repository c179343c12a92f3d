"""Words for what students, families and teams read, from gettext message catalogs.

    t("My learning targets", "es") -> "Mis metas de aprendizaje"
    format_date(date, "es")        -> "14 de marzo de 2026"

The catalogs are ordinary gettext `.po` files under `coachkit/locale/<language>/LC_MESSAGES/`
(edited with Poedit, Weblate or any translator's tool); `coachkit/locale/coachkit.pot` is
the template, refreshed with `pybabel extract` (see docs/students.md). A new language is a
new folder with a `.po` file: no code changes. Catalogs are compiled in memory with Babel
when first used, so there is no compiled `.mo` file to keep in step. A phrase missing from a
catalog comes back in English; `missing(language)` lists such phrases, and the tests
require every catalog to be complete.
"""
from __future__ import annotations

import datetime as _dt
import io
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "coachkit"
SOURCE_LANGUAGE = "en"


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> tuple[str, ...]:
    """English (the source language) and every language with a catalog."""
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if catalog_path(p.name).exists())
    return (SOURCE_LANGUAGE, *[x for x in found if x != SOURCE_LANGUAGE])


LANGUAGES = languages()


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language: expected one of {', '.join(LANGUAGES)}, got {language!r}; "
                         f"add coachkit/locale/{language}/LC_MESSAGES/{DOMAIN}.po for a new one")
    return language


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    check_language(language)
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    with catalog_path(language).open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def t(phrase: str, language: str = SOURCE_LANGUAGE) -> str:
    """PHRASE in LANGUAGE (English when the catalog lacks it)."""
    return translations(language).gettext(phrase)


def tn(singular: str, plural: str, n: int, language: str = SOURCE_LANGUAGE) -> str:
    """The singular or plural form for N, by the language's plural rule."""
    return translations(language).ngettext(singular, plural, n)


def missing(language: str) -> list[str]:
    """Phrases of the template with no translation in LANGUAGE's catalog."""
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as f:
        template = read_po(f)
    with catalog_path(language).open("rb") as f:
        catalog = read_po(f, locale=language)
    return [m.id for m in template if m.id and not (catalog.get(m.id) and catalog.get(m.id).string)]


def format_date(value, language: str = SOURCE_LANGUAGE, *, format: str = "long") -> str:
    """A date as a family reads it ("March 14, 2026", "14 de marzo de 2026"); '' for none."""
    if value is None or value != value:   # None, NaN or NaT
        return ""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime):
        value = value.date()
    return _date_words(value, language, format)


@lru_cache(maxsize=4096)
def _date_words(value: _dt.date, language: str, format: str) -> str:
    # pages repeat the same few school days many times; Babel's formatting is the cost
    return _babel_date(value, format=format, locale=check_language(language))


def format_number(value, language: str = SOURCE_LANGUAGE) -> str:
    return format_decimal(value, locale=check_language(language))


def language_name(language: str) -> str:
    """The language's own name for itself ("español")."""
    return Locale.parse(check_language(language)).get_display_name(language)


def N_(phrase: str) -> str:
    """Marks a phrase for the catalogs where it is looked up later by value (pybabel -k N_)."""
    return phrase


# Words that reach pages from data: stages, subjects, evidence kinds, levels.
VOCABULARY = (
    N_("i-learn"), N_("i-practice"), N_("i-show"), N_("math"), N_("ela"),
    N_("formative"), N_("summative"), N_("retake"), N_("observation"), N_("self"),
    N_("Beginning"), N_("Developing"), N_("Proficient"), N_("Extending"),
)


def language_for(home_language) -> str:
    """The catalog for a student's home language as the data names it ("Spanish", "es",
    "español"); English when there is no catalog for it."""
    if home_language is None or home_language != home_language:
        return SOURCE_LANGUAGE
    name = str(home_language).strip().lower()
    for code in LANGUAGES:
        loc = Locale.parse(code)
        if name in (code, loc.get_display_name("en").lower(), loc.get_display_name(code).lower()):
            return code
    return SOURCE_LANGUAGE
