from datetime import UTC, date, datetime

from bot.messages import CATALOGUE, LOCALES, format_day, format_when, normalise_locale, t


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
    import re

    bad = [
        (key, lang)
        for key, texts in CATALOGUE.items()
        for lang, text in texts.items()
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
