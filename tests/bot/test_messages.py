import re
import string
from datetime import UTC, date, datetime

import pytest

from bot.messages import (
    CATALOGUE,
    LOCALES,
    Plural,
    format_day,
    format_when,
    normalise_locale,
    plural_rule,
    t,
    t_fill,
    text_forms,
)


def test_every_key_has_both_languages() -> None:
    missing = [k for k, v in CATALOGUE.items() if set(v) != set(LOCALES)]
    assert missing == []


def test_norwegian_style_in_oslo_time() -> None:
    # 08:00 UTC on 3 March 2026 is 09:00 in Oslo (winter time).
    when = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert format_when(when) == "tirsdag 3. mars kl. 09.00"
    assert format_when(when, "en") == "Tuesday 3 March at 09:00"


def test_summer_time_is_two_hours_ahead() -> None:
    when = datetime(2026, 9, 25, 21, 59, tzinfo=UTC)
    assert format_when(when, "nb") == "fredag 25. september kl. 23.59"


def test_day_and_locale_mapping() -> None:
    assert format_day(date(2026, 5, 17)) == "søndag 17. mai"
    assert normalise_locale("en-US") == "en"
    assert normalise_locale("nb_NO") == "nb"
    assert normalise_locale(None) == "nb"
    assert t("error.unknown_command", "en", command="x").startswith("I didn't understand")


def test_the_catalogue_writes_no_platform_markup() -> None:
    # The catalogue is neutral text: no <…> links or mentions, no entities; each adapter
    # escapes a literal "<ord>" for itself. References come from bot.text.user()/channel().
    bad = [
        (key, lang)
        for key, texts in CATALOGUE.items()
        for lang, value in texts.items()
        for text in text_forms(value)
        if re.search(r"<[@#!]|<https?:|<mailto:|&(amp|lt|gt|#\d+);", text)
    ]
    assert bad == []


def test_peoples_words_are_marked_and_mentions_are_references() -> None:
    from bot.messages import esc
    from bot.text import plain, spans, user

    text = t("join.welcome", "nb", network="Helse & omsorg", name="<!channel>")
    kinds = {s.text: s.kind for s in spans(text)}
    assert kinds["Helse & omsorg"] == "words" and kinds["<!channel>"] == "words"
    assert "Helse & omsorg" in plain(text) and "<!channel>" in plain(text)
    mention = t("join.welcome", "nb", network="x", name=user("U123", "Ola"))
    assert [s.ref for s in spans(mention) if s.kind == "user"] == ["U123"]
    assert plain(mention).count("Ola") == 1
    assert esc(esc("a<b")) == esc("a<b")  # marking twice changes nothing
    assert plain(esc("R&D <team>")) == "R&D <team>"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_the_same_placeholders_in_both_languages() -> None:
    differ = {}
    for key, texts in CATALOGUE.items():
        found = {
            lang: set().union(*(_placeholders(f) for f in text_forms(value)))
            for lang, value in texts.items()
        }
        if len({frozenset(v) for v in found.values()}) > 1:
            differ[key] = found
    assert differ == {}


def test_every_plural_has_each_cldr_form_of_both_languages() -> None:
    wrong = []
    for key, texts in CATALOGUE.items():
        plurals = {lang: v for lang, v in texts.items() if isinstance(v, Plural)}
        if not plurals:
            continue
        if set(plurals) != set(LOCALES) or len({p.by for p in plurals.values()}) != 1:
            wrong.append((key, "plural in one language only, or counted by different values"))
            continue
        for lang, value in plurals.items():
            needed = plural_rule(lang).tags | {"other"}
            if set(value.forms) != needed:
                wrong.append((key, lang, sorted(value.forms), sorted(needed)))
            # the counted number is shown in the "other" form (a "one" form may say it in words)
            if value.by not in _placeholders(value.forms["other"]):
                wrong.append((key, lang, f"'other' does not show {{{value.by}}}"))
    assert wrong == []


def test_no_key_fakes_a_plural_with_a_one_suffix() -> None:
    assert [k for k in CATALOGUE if k.endswith(".one")] == []


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("nb", 1, "til 1 mottaker."),
        ("nb", 2, "til 2 mottakere."),
        ("nb", 0, "til 0 mottakere."),
        ("en", 1, "for 1 recipient."),
        ("en", 21, "for 21 recipients."),
    ],
)
def test_counted_texts_follow_cldr_plural_rules(locale: str, count: int, expected: str) -> None:
    assert expected in t("broadcast.queued", locale, id=7, count=count)


def test_a_plural_refuses_a_count_that_is_not_a_number() -> None:
    with pytest.raises(TypeError):
        t("broadcast.queued", "nb", id=7, count="2")


def test_english_cli_texts_count_by_the_cldr_rule_too() -> None:
    from bot.messages import counted, plural_word

    assert counted(1, "change", "changes") == "1 change"
    assert counted(0, "change", "changes") == "0 changes"
    assert plural_word(2, "delivery is", "deliveries are") == "deliveries are"
    assert plural_word(1, "mottaker", "mottakere", "nb") == "mottaker"


def test_t_fill_gives_what_t_gives_for_every_key() -> None:
    """The planner fills a wave's answer buttons with `t_fill`: the same texts, the same
    marking of people's words (a name that looks like markup stays words)."""
    names = ["Kari Nordmann", "<!channel> *Ola*", "Åse Ødegård"]
    for key, entry in CATALOGUE.items():
        texts = list(entry.values())
        fields = {f for text in texts for form in text_forms(text) for f in _fields(form)}
        counts = {text.by for text in texts if isinstance(text, Plural)}
        for locale in (*LOCALES, "en-US", None):
            for name in names:
                values: dict[str, object] = {f: name for f in fields}
                values.update({by: 2 for by in counts})
                assert t_fill(key, locale)(**values) == t(key, locale, **values), key


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
