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


def test_no_unescaped_angle_brackets_in_mrkdwn() -> None:
    # Slack reads <...> as a link or mention; a literal "<ord>" must be written &lt;ord&gt;.
    import re

    allowed = re.compile(r"<(?:[@#!]|https?:|mailto:|\{)")
    bad = [
        (key, lang)
        for key, texts in CATALOGUE.items()
        for lang, text in texts.items()
        if any(not allowed.match(text[m.start() :]) for m in re.finditer("<", text))
    ]
    assert bad == []


def test_peoples_words_are_escaped_but_mentions_are_not() -> None:
    from bot.messages import Markup, esc, unescape

    text = t("join.welcome", "nb", network="Helse & omsorg", name="<!channel>")
    assert "Helse &amp; omsorg" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    mention = t("join.welcome", "nb", network="x", name=Markup("<@U123>"))
    assert "<@U123>" in mention
    assert esc(esc("a<b")) == "a&lt;b"  # escaping twice changes nothing
    assert unescape(esc("R&D <team>")) == "R&D <team>"
