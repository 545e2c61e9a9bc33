"""The message catalogue: every user-facing text, in Norwegian bokmål and English.

Use `t(key, locale, **values)`. Norwegian bokmål is the default; English for people whose
locale is English. Dates and times are shown Norwegian style in Europe/Oslo (or the person's
zone): "tirsdag 3. mars kl. 09.00" / "Tuesday 3 March at 09:00".

Keys are grouped by area; add a key to both languages (a test checks that).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime

DEFAULT_LOCALE = "nb"
LOCALES = ("nb", "en")
OSLO = ZoneInfo("Europe/Oslo")

CATALOGUE: dict[str, dict[str, str]] = {
    # --- general -------------------------------------------------------------------------
    "app.name": {"nb": "cohortbot", "en": "cohortbot"},
    "error.generic": {
        "nb": "Beklager, noe gikk galt. Prøv igjen om litt, eller si fra til programstaben.",
        "en": "Sorry, something went wrong. Try again in a moment, or tell the programme staff.",
    },
    "error.not_allowed": {
        "nb": "Dette kan bare programstaben gjøre.",
        "en": "Only programme staff can do this.",
    },
    "error.unknown_user": {
        "nb": "Jeg kjenner deg ikke ennå. Be programstaben legge deg til i programmet.",
        "en": "I don't know you yet. Ask the programme staff to add you to the programme.",
    },
    "error.unknown_command": {
        "nb": "Jeg forstod ikke «{command}». Skriv `/cohort help` for å se hva du kan gjøre.",
        "en": "I didn't understand “{command}”. Type `/cohort help` to see what you can do.",
    },
    # --- /cohort help --------------------------------------------------------------------
    "help.title": {
        "nb": "Dette kan du gjøre med cohortbot",
        "en": "What you can do with cohortbot",
    },
    "help.everyone": {
        "nb": "• `/cohort help` – denne hjelpen\n"
        "• `/cohort assignments` – dine åpne oppgaver\n"
        "• `/cohort find <ord>` – finn andre ledere som vil bli funnet\n"
        "• Åpne *Hjem*-fanen til cohortbot for neste samling, oppgaver, kollegagruppe og profil",
        "en": "• `/cohort help` – this help\n"
        "• `/cohort assignments` – your open assignments\n"
        "• `/cohort find <words>` – find other leaders who want to be found\n"
        "• Open cohortbot's *Home* tab for your next session, assignments, peer group and profile",
    },
    "help.staff": {
        "nb": "*For programstaben*\n"
        "• `/cohort assignments <klasse>` – status per oppgave og person\n"
        "• `/cohort announce` – send en kunngjøring til et utvalg\n"
        "• `/cohort pulse` – lag en ny puls\n"
        "• `/cohort results <puls>` – svarprosent og resultater\n"
        "• `/cohort groups <klasse>` – lag kollegagrupper\n"
        "• `/cohort match <nettverk>` – start en matcherunde\n"
        "• `/cohort report` – årsrapporten som fil\n"
        "• `/cohort deliveries` – utsendelser som feilet",
        "en": "*For programme staff*\n"
        "• `/cohort assignments <class>` – status per assignment and person\n"
        "• `/cohort announce` – send an announcement to an audience\n"
        "• `/cohort pulse` – create a new pulse\n"
        "• `/cohort results <pulse>` – response rates and results\n"
        "• `/cohort groups <class>` – form peer groups\n"
        "• `/cohort match <network>` – start a matching round\n"
        "• `/cohort report` – the annual report as a file\n"
        "• `/cohort deliveries` – deliveries that failed",
    },
    "help.line_manager": {
        "nb": "*Som nærmeste leder* svarer du på påminnelser med ett klikk, "
        "og ser deltakerne dine i *Hjem*-fanen.",
        "en": "*As a line manager* you answer nudges with one click "
        "and see your participants in the *Home* tab.",
    },
    # --- App Home ------------------------------------------------------------------------
    "home.greeting": {"nb": "Hei {name}!", "en": "Hi {name}!"},
    "home.truncated": {
        "nb": "Det er mer enn det får plass til her. Bruk `/cohort help` for å se kommandoene.",
        "en": "There is more than fits here. Use `/cohort help` to see the commands.",
    },
    # --- dates ---------------------------------------------------------------------------
    "date.at": {"nb": "kl.", "en": "at"},
}


def normalise_locale(locale: str | None) -> str:
    """Map Slack/import locales ("en-US", "nb_NO", "no", "nn") onto the catalogue's."""
    if not locale:
        return DEFAULT_LOCALE
    code = locale.replace("_", "-").split("-")[0].lower()
    return "en" if code == "en" else DEFAULT_LOCALE


def t(key: str, locale: str | None = None, /, **values: object) -> str:
    """The text for `key` in the person's language, with `values` filled in."""
    entry = CATALOGUE[key]
    text = entry.get(normalise_locale(locale)) or entry[DEFAULT_LOCALE]
    return text.format(**values) if values else text


def _babel_locale(locale: str | None) -> str:
    return "en_GB" if normalise_locale(locale) == "en" else "nb_NO"


def format_when(
    moment: datetime, locale: str | None = None, tz: ZoneInfo | str | None = None
) -> str:
    """ "tirsdag 3. mars kl. 09.00" / "Tuesday 3 March at 09:00", in Oslo or the given zone."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or OSLO)
    local = moment.astimezone(zone)
    if normalise_locale(locale) == "en":
        return _babel_datetime(local, "EEEE d MMMM 'at' HH:mm", tzinfo=zone, locale="en_GB")
    return _babel_datetime(local, "EEEE d. MMMM 'kl.' HH.mm", tzinfo=zone, locale="nb_NO")


def format_day(day: date, locale: str | None = None) -> str:
    """ "tirsdag 3. mars" / "Tuesday 3 March"."""
    if normalise_locale(locale) == "en":
        return _babel_date(day, "EEEE d MMMM", locale="en_GB")
    return _babel_date(day, "EEEE d. MMMM", locale="nb_NO")
