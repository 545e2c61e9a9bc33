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
    # --- networks ------------------------------------------------------------------------
    "networks.intro.title": {"nb": "Ny kollegaprat", "en": "A new peer chat"},
    "networks.intro.text": {
        "nb": "Hei {names}! Dere er satt sammen i {network} denne runden. Finn en halvtime de "
        "neste {weeks} ukene – på video, telefon eller over en kaffe.\n\n*Å snakke om:* {prompt}",
        "en": "Hi {names}! You are matched in {network} this round. Find half an hour in the "
        "next {weeks} weeks – on video, by phone or over a coffee.\n\n*To talk about:* {prompt}",
    },
    "networks.prompt.1": {
        "nb": "Hvilken lederutfordring står du i akkurat nå, og hva har du prøvd?",
        "en": "Which leadership challenge are you facing right now, and what have you tried?",
    },
    "networks.prompt.2": {
        "nb": "Hva har du endret i egen praksis siden forrige samling?",
        "en": "What have you changed in your own practice since the last session?",
    },
    "networks.prompt.3": {
        "nb": "Hvordan involverer du medarbeiderne når noe skal endres?",
        "en": "How do you involve your staff when something has to change?",
    },
    "networks.prompt.4": {
        "nb": "Hva gir deg energi i lederjobben – og hva tapper deg?",
        "en": "What gives you energy as a leader – and what drains you?",
    },
    "networks.prompt.5": {
        "nb": "Del ett godt grep for samarbeid på tvers av tjenester eller kommuner.",
        "en": "Share one good way of working across services or municipalities.",
    },
    "networks.checkin.title": {"nb": "Fikk dere møttes?", "en": "Did you meet?"},
    "networks.checkin.text": {
        "nb": "Fikk du snakket med {names}?",
        "en": "Did you get to talk with {names}?",
    },
    "networks.checkin.yes": {"nb": "Ja", "en": "Yes"},
    "networks.checkin.not_yet": {"nb": "Ikke ennå", "en": "Not yet"},
    "networks.checkin.could_not": {"nb": "Vi fikk det ikke til", "en": "We couldn't"},
    "networks.checkin.thanks": {
        "nb": "Takk! Svaret ditt er registrert.",
        "en": "Thanks! Your answer is recorded.",
    },
    "networks.ghosted.text": {
        "nb": "Du har ikke svart på de tre siste introduksjonene i {network}, så jeg matcher deg "
        "ikke før du sier fra. Trykk under når du vil være med igjen.",
        "en": "You haven't answered your last three introductions in {network}, so I won't "
        "match you until you say so. Press below when you want to join again.",
    },
    "networks.button.opt_in": {"nb": "Bli med igjen", "en": "Join again"},
    "networks.button.opt_out": {"nb": "Ikke match meg", "en": "Stop matching me"},
    "networks.button.pause": {"nb": "Pause", "en": "Pause"},
    "networks.opted_in": {
        "nb": "Du er med i matchingen igjen.",
        "en": "You are back in peer matching.",
    },
    "networks.opted_out": {
        "nb": "Du blir ikke matchet lenger. Du kan bli med igjen fra Hjem-fanen.",
        "en": "You won't be matched any more. You can join again from the Home tab.",
    },
    "networks.paused": {
        "nb": "Matchingen din er satt på pause til {day}.",
        "en": "Your matching is paused until {day}.",
    },
    "networks.blocked": {
        "nb": "Du blir ikke matchet med {name}.",
        "en": "You won't be matched with {name}.",
    },
    "networks.group.welcome.title": {
        "nb": "Velkommen til kollegagruppe {number}",
        "en": "Welcome to peer group {number}",
    },
    "networks.group.welcome.text": {
        "nb": "Dette er kollegagruppen deres: {names}. Dere kommer fra ulike kommuner og "
        "tjenester – det er meningen.\n\n*Første oppgave:* Presenter deg kort her – hvem du "
        "leder, og én ting du vil bli bedre på dette året – og finn en tid dere kan møtes på "
        "video før neste samling.",
        "en": "This is your peer group: {names}. You come from different municipalities and "
        "services – on purpose.\n\n*First task:* Introduce yourself briefly here – who you lead "
        "and one thing you want to get better at this year – and find a time to meet on video "
        "before the next session.",
    },
    "networks.alumni.consent.title": {
        "nb": "Vil du bli med i alumninettverket?",
        "en": "Would you like to join the alumni network?",
    },
    "networks.alumni.consent.text": {
        "nb": "Gratulerer med fullført {cohort}! Vil du fortsatt være med i lederutdanningens "
        "nettverk – alumnikanalen, en kanal for regionen din og kollegaprat hver {weeks}. uke? "
        "Uten svar tar vi deg ikke med videre.",
        "en": "Congratulations on completing {cohort}! Would you like to stay in the programme's "
        "network – the alumni channel, a channel for your region and a peer chat every {weeks} "
        "weeks? Without an answer we won't keep you in it.",
    },
    "networks.alumni.consent.yes": {"nb": "Ja, ta meg med", "en": "Yes, keep me in"},
    "networks.alumni.consent.no": {"nb": "Nei takk", "en": "No thanks"},
    "networks.alumni.welcome": {
        "nb": "Velkommen i alumninettverket! Du er lagt til i {channels}.",
        "en": "Welcome to the alumni network! You have been added to {channels}.",
    },
    "networks.alumni.declined": {
        "nb": "Greit – vi sender deg ikke alumnimeldinger. Du kan ombestemme deg fra Hjem-fanen.",
        "en": "Fine – we won't send you alumni messages. You can change your mind from Home.",
    },
    "networks.directory.none": {
        "nb": "Fant ingen som vil bli funnet på «{words}».",
        "en": "Found nobody who wants to be found for “{words}”.",
    },
    "networks.directory.start_dm": {"nb": "Send melding", "en": "Send a message"},
    "networks.groups.formed": {
        "nb": "{count} kollegagrupper er laget for {klass}.",
        "en": "{count} peer groups were formed for {klass}.",
    },
    "networks.match.started": {
        "nb": "Matcherunden i {network} er i gang: {count} introduksjoner.",
        "en": "The matching round in {network} has started: {count} introductions.",
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
