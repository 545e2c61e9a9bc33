"""The message catalogue: every user-facing text, in Norwegian bokmål and English.

Use `t(key, locale, **values)`. Norwegian bokmål is the default; English for people whose
locale is English. Dates and times are shown Norwegian style in Europe/Oslo (or the person's
zone): "tirsdag 3. mars kl. 09.00" / "Tuesday 3 March at 09:00".

Keys are grouped by area; add a key to both languages (a test checks that).

A text that counts something is a `plural(...)`: one form per CLDR plural category of the
language (Babel's `Locale.plural_form`; bokmål and English have "one" and "other"), chosen by
the number passed for the named placeholder — `t("broadcast.queued", "nb", count=1, id=4)`
gives "… til 1 mottaker", count=2 "… til 2 mottakere". Never pick a form with `n == 1` in code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.plural import PluralRule

from bot.text import Markup as Markup
from bot.text import plain, words

DEFAULT_LOCALE = "nb"
LOCALES = ("nb", "en")
OSLO = ZoneInfo("Europe/Oslo")


@dataclass(frozen=True)
class Plural:
    """A text with one form per CLDR plural category, chosen by the number given for `by`."""

    by: str
    forms: Mapping[str, str]

    def select(self, locale: str, values: Mapping[str, object]) -> str:
        number = values[self.by]
        if not isinstance(number, int | float):
            raise TypeError(f"plural placeholder {self.by!r} needs a number, not {number!r}")
        category = plural_rule(locale)(abs(number))
        return self.forms.get(category) or self.forms["other"]


def plural(by: str, **forms: str) -> Plural:
    """The forms of a counted text by CLDR category: `plural("n", one="…", other="…")`."""
    return Plural(by, forms)


@cache
def plural_rule(locale: str) -> PluralRule:
    """The CLDR plural rule of a catalogue language (Babel's, from the CLDR data it ships)."""
    return Locale.parse(_babel_locale(locale)).plural_form


def plural_word(n: float, one: str, other: str, locale: str | None = "en") -> str:
    """The form CLDR's plural rule picks for `n` (for the English CLI and error texts).

    >>> plural_word(1, "delivery is", "deliveries are")
    'delivery is'
    """
    return one if plural_rule(normalise_locale(locale))(abs(n)) == "one" else other


def counted(n: float, one: str, other: str, locale: str | None = "en") -> str:
    """`n` and its noun in the right form: counted(1, "change", "changes") is "1 change"."""
    return f"{n} {plural_word(n, one, other, locale)}"


def text_forms(text: str | Plural) -> tuple[str, ...]:
    """Every form of a catalogue text: the text itself, or each plural form."""
    return tuple(text.forms.values()) if isinstance(text, Plural) else (text,)


CATALOGUE: dict[str, dict[str, str | Plural]] = {
    # --- general -------------------------------------------------------------------------
    "app.name": {"nb": "cohortbot", "en": "cohortbot"},
    "dm.hint": {
        "nb": "Hei! Jeg er en bot og leser ikke det som skrives til meg. Skriv `/cohort help` "
        "for å se hva jeg kan hjelpe med, eller kontakt programstaben hvis du lurer på noe.",
        "en": "Hi! I'm a bot and don't read what is written to me. Type `/cohort help` to see "
        "what I can help with, or contact the programme staff if you have a question.",
    },
    "error.generic": {
        "nb": "Beklager, noe gikk galt. Prøv igjen om litt, eller si fra til programstaben.",
        "en": "Sorry, something went wrong. Try again in a moment, or tell the programme staff.",
    },
    "error.refused": {
        "nb": "Det gikk ikke, og ingenting er endret: {reason}",
        "en": "That did not work, and nothing was changed: {reason}",
    },
    "limits.too_long": {
        "nb": "For langt: høyst {n} tegn. Ingenting er lagret.",
        "en": "Too long: {n} characters at most. Nothing was saved.",
    },
    "limits.command_too_long": {
        "nb": "Kommandoen er for lang (høyst {n} tegn), så jeg har ikke gjort noe.",
        "en": "The command is too long ({n} characters at most), so I did nothing.",
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
        "• `/cohort archive <ord>` – søk i arkivet; `/cohort archive add` – del prosjektet ditt\n"
        "• `/cohort privacy` – hva som lagres om deg; `/cohort mydata` – en kopi av det\n"
        "• `/cohort withdraw alumni|directory` – trekk et samtykke\n"
        "• Åpne *Hjem*-fanen til cohortbot for neste samling, oppgaver, kollegagruppe og profil",
        "en": "• `/cohort help` – this help\n"
        "• `/cohort assignments` – your open assignments\n"
        "• `/cohort find <words>` – find other leaders who want to be found\n"
        "• `/cohort archive <words>` – search the archive; `/cohort archive add` – share your "
        "project\n"
        "• `/cohort privacy` – what is stored about you; `/cohort mydata` – a copy of it\n"
        "• `/cohort withdraw alumni|directory` – withdraw a consent\n"
        "• Open cohortbot's *Home* tab for your next session, assignments, peer group and profile",
    },
    "help.evaluator": {
        "nb": "*For Helsedirektoratet*\n"
        "• `/cohort results` – samlede resultater fra avsluttede pulsmålinger (små grupper "
        "skjult)\n"
        "• Hjem-fanen viser det samme; tabellene, årsrapporten og skjemaet for å foreslå "
        "spørsmål er på evalueringssiden (be staben om lenke)",
        "en": "*For the Directorate*\n"
        "• `/cohort results` – aggregated results of closed pulses (small groups hidden)\n"
        "• The Home tab shows the same; the tables, the annual report and the form to propose "
        "questions are on the evaluation page (ask staff for a link)",
    },
    "help.staff": {
        "nb": "*For programstaben*\n"
        "• `/cohort assignments <klasse>` – status per oppgave og person\n"
        "• `/cohort managers` – ledernes deltakelse og hvem som ikke har svart\n"
        "• `/cohort announce` – send en kunngjøring til et utvalg\n"
        "• `/cohort pulse` – lag en ny puls\n"
        "• `/cohort results <puls>` – svarprosent og resultater\n"
        "• `/cohort groups <klasse>` – lag kollegagrupper\n"
        "• `/cohort match <nettverk>` – start en matcherunde\n"
        "• `/cohort sync <kull>` – opprett kanaler og inviter deltakerne\n"
        "• `/cohort followup <sak> <notat>` – marker en risikosak som fulgt opp\n"
        "• `/cohort cases` – alle ukens risikosaker med saksnummer\n"
        "• `/cohort status <e-post> <status>` – registrer status, årsak, "
        "studiepoeng eller eksamen\n"
        "• `/cohort report` – årsrapporten som fil\n"
        "• `/cohort deliveries` – utsendelser som feilet\n"
        "• `/cohort export <e-post>` – alt som er lagret om en person, som fil",
        "en": "*For programme staff*\n"
        "• `/cohort assignments <class>` – status per assignment and person\n"
        "• `/cohort managers` – line-manager involvement and who has not answered\n"
        "• `/cohort announce` – send an announcement to an audience\n"
        "• `/cohort pulse` – create a new pulse\n"
        "• `/cohort results <pulse>` – response rates and results\n"
        "• `/cohort groups <class>` – form peer groups\n"
        "• `/cohort match <network>` – start a matching round\n"
        "• `/cohort sync <cohort>` – create channels and invite the participants\n"
        "• `/cohort followup <case> <note>` – mark a risk case as followed up\n"
        "• `/cohort cases` – every risk case of the week with its case number\n"
        "• `/cohort status <email> <status>` – record a status, reason, credits "
        "or exam result\n"
        "• `/cohort report` – the annual report as a file\n"
        "• `/cohort deliveries` – deliveries that failed\n"
        "• `/cohort export <email>` – everything stored about a person, as a file",
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
        "nb": plural(
            "n",
            one="{n} del av Hjem fikk ikke plass her (Slack viser høyst 100 blokker). "
            "Kommandoene i `/cohort help` viser alt.",
            other="{n} deler av Hjem fikk ikke plass her (Slack viser høyst 100 blokker). "
            "Kommandoene i `/cohort help` viser alt.",
        ),
        "en": plural(
            "n",
            one="{n} part of Home did not fit here (Slack shows at most 100 blocks). "
            "The commands in `/cohort help` show everything.",
            other="{n} parts of Home did not fit here (Slack shows at most 100 blocks). "
            "The commands in `/cohort help` show everything.",
        ),
    },
    # App Home sections for participants (handlers/home/sessions.py, handlers/home/pulses.py)
    "home.session.title": {"nb": "Neste samling", "en": "Next session"},
    "home.session.item": {
        "nb": "*{title}* (samling {number})\n:calendar: {when}",
        "en": "*{title}* (session {number})\n:calendar: {when}",
    },
    "home.session.location": {
        "nb": ":round_pushpin: {location}",
        "en": ":round_pushpin: {location}",
    },
    "home.session.cohort": {"nb": "Kull: {cohort}", "en": "Cohort: {cohort}"},
    "home.pulses.title": {"nb": "Pulser som venter på svar", "en": "Pulses waiting for you"},
    "home.pulses.item": {
        "nb": "*{title}* – stenger {when}",
        "en": "*{title}* – closes {when}",
    },
    "home.pulses.anonymous": {
        "nb": "Anonym: svarene kan ikke spores tilbake til deg.",
        "en": "Anonymous: answers cannot be traced to you.",
    },
    "home.pulses.named": {
        "nb": "Ikke anonym: programstaben ser svarene med navnet ditt.",
        "en": "Not anonymous: the programme staff see answers with your name.",
    },
    "home.pulses.where": {
        "nb": "Spørsmålene ligger i direktemeldingen din fra cohortbot – svar der med ett klikk.",
        "en": "The questions are in your direct messages from cohortbot – answer there in one click.",
    },
    "home.pulses.more": {"nb": "… og {n} til.", "en": "… and {n} more."},
    # App Home sections for staff (handlers/home/cohorts.py, handlers/home/risk.py)
    "home.cohorts.title": {"nb": "Kull i korte trekk", "en": "Cohorts at a glance"},
    "home.cohorts.none": {
        "nb": "Ingen planlagte eller aktive kull.",
        "en": "No planned or active cohorts.",
    },
    "home.cohorts.name": {"nb": "*{name}* ({status})", "en": "*{name}* ({status})"},
    "home.cohorts.status.planned": {"nb": "planlagt", "en": "planned"},
    "home.cohorts.status.active": {"nb": "aktivt", "en": "active"},
    "home.cohorts.status.completed": {"nb": "fullført", "en": "completed"},
    "home.cohorts.counts": {
        "nb": "Deltakere: {active} aktive · {completed} fullført · {withdrawn} sluttet",
        "en": "Participants: {active} active · {completed} completed · {withdrawn} withdrawn",
    },
    "home.cohorts.admitted": {"nb": " · {n} tatt opp", "en": " · {n} admitted"},
    "home.cohorts.next_session": {
        "nb": "Neste samling: {title}, {when}",
        "en": "Next session: {title}, {when}",
    },
    "home.cohorts.no_session": {
        "nb": "Ingen flere samlinger planlagt.",
        "en": "No more sessions planned.",
    },
    "home.cohorts.pulse": {
        "nb": "• {title}: {answered} av {invited} har svart ({rate}), stenger {when}",
        "en": "• {title}: {answered} of {invited} answered ({rate}), closes {when}",
    },
    "home.cohorts.pulse_not_sent": {
        "nb": "• {title}: ikke sendt ut ennå, stenger {when}",
        "en": "• {title}: not sent out yet, closes {when}",
    },
    "home.cohorts.no_pulses": {"nb": "Ingen åpne pulser.", "en": "No open pulses."},
    "home.cohorts.open_pulses": {"nb": "Åpne pulser:", "en": "Open pulses:"},
    "home.cohorts.alumni_pulses": {
        "nb": "*Åpne pulser for alle alumni*",
        "en": "*Open pulses for all alumni*",
    },
    "home.cohorts.more": {
        "nb": plural(
            "n",
            one="… og {n} kull til.",
            other="… og {n} kull til.",
        ),
        "en": plural(
            "n",
            one="… and {n} more cohort.",
            other="… and {n} more cohorts.",
        ),
    },
    "home.cohorts.context": {
        "nb": "Svarprosent teller bare hvem som har svart, aldri hva. "
        "Resultater: `/cohort results <puls>`.",
        "en": "Response rates count only who answered, never what. "
        "Results: `/cohort results <pulse>`.",
    },
    "home.risk.title": {"nb": "Åpne risikosaker", "en": "Open risk cases"},
    "home.risk.lead": {
        "nb": plural(
            "n",
            one="Uke {week}: {n} deltaker er ikke fulgt opp ennå.",
            other="Uke {week}: {n} deltakere er ikke fulgt opp ennå.",
        ),
        "en": plural(
            "n",
            one="Week {week}: {n} participant not followed up yet.",
            other="Week {week}: {n} participants not followed up yet.",
        ),
    },
    "home.risk.none": {
        "nb": "Ingen åpne risikosaker fra siste ukesoversikt.",
        "en": "No open risk cases from the latest weekly digest.",
    },
    "home.risk.more": {
        "nb": "… og {n} til: se hele lista under.",
        "en": "… and {n} more: see the whole list below.",
    },
    "home.risk.context": {
        "nb": "Bare programstaben ser dette, og hver visning logges. "
        "Anonyme pulser brukes aldri i disse varslene.",
        "en": "Only programme staff see this, and each view is logged. "
        "Anonymous pulses are never used for these signals.",
    },
    # --- networks ------------------------------------------------------------------------
    "networks.intro.title": {"nb": "Ny kollegaprat", "en": "A new peer chat"},
    "networks.intro.text": {
        "nb": plural(
            "weeks",
            one="Hei {names}! Dere er satt sammen i {network} denne runden. Finn en halvtime den "
            "neste uken – på video, telefon eller over en kaffe.\n\n*Å snakke om:* {prompt}",
            other="Hei {names}! Dere er satt sammen i {network} denne runden. Finn en halvtime de "
            "neste {weeks} ukene – på video, telefon eller over en kaffe.\n\n*Å snakke om:* {prompt}",
        ),
        "en": plural(
            "weeks",
            one="Hi {names}! You are matched in {network} this round. Find half an hour in the "
            "next week – on video, by phone or over a coffee.\n\n*To talk about:* {prompt}",
            other="Hi {names}! You are matched in {network} this round. Find half an hour in the "
            "next {weeks} weeks – on video, by phone or over a coffee.\n\n*To talk about:* {prompt}",
        ),
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
    "networks.prompt.title": {"nb": "Samtaletema", "en": "Something to discuss"},
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
    "networks.pause_not_future": {
        "nb": "Velg en dag fram i tid for pausen i matchingen. Ingenting er endret.",
        "en": "Pick a day in the future for the matching pause. Nothing was changed.",
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
    "networks.group.welcome.text_chat": {
        "nb": "Dette er kollegagruppen din: {names}. Dere kommer fra ulike kommuner og "
        "tjenester – det er meningen.\n\n*Første oppgave:* Presenter deg kort for de andre – "
        "hvem du leder, og én ting du vil bli bedre på dette året – og finn en tid dere kan "
        "møtes på video før neste samling.",
        "en": "This is your peer group: {names}. You come from different municipalities and "
        "services – on purpose.\n\n*First task:* Introduce yourself briefly to the others – who "
        "you lead and one thing you want to get better at this year – and find a time to meet "
        "on video before the next session.",
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
    "networks.alumni.welcome_chat": {
        "nb": "Velkommen i alumninettverket! Samtaletemaene og kollegapratene kommer hit, i "
        "chatten med meg.",
        "en": "Welcome to the alumni network! The discussion prompts and peer chats come here, "
        "to your chat with me.",
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
    "networks.directory.usage_teams": {
        "nb": "Skriv hva du leter etter, f.eks. `finn Vestland hjemmetjeneste`.",
        "en": "Say what you are looking for, e.g. `find Vestland home care`.",
    },
    "networks.opted_out_teams": {
        "nb": "Du blir ikke matchet lenger. Skriv *matching på* når du vil være med igjen.",
        "en": "You won't be matched any more. Write *matching on* when you want to join again.",
    },
    "networks.groups.formed": {
        "nb": plural(
            "count",
            one="{count} kollegagruppe er laget for {klass}.",
            other="{count} kollegagrupper er laget for {klass}.",
        ),
        "en": plural(
            "count",
            one="{count} peer group was formed for {klass}.",
            other="{count} peer groups were formed for {klass}.",
        ),
    },
    "networks.match.started": {
        "nb": plural(
            "count",
            one="Matcherunden i {network} er i gang: {count} introduksjon.",
            other="Matcherunden i {network} er i gang: {count} introduksjoner.",
        ),
        "en": plural(
            "count",
            one="The matching round in {network} has started: {count} introduction.",
            other="The matching round in {network} has started: {count} introductions.",
        ),
    },
    "broadcast.title": {
        "nb": "Kunngjøring fra programmet",
        "en": "Announcement from the programme",
    },
    "broadcast.title.urgent": {
        "nb": "Viktig: kunngjøring fra programmet",
        "en": "Important: announcement from the programme",
    },
    "networks.home.title": {"nb": "Nettverk og kollegaprat", "en": "Networks and peer chats"},
    "networks.home.none": {
        "nb": "Du er ikke med i noe nettverk ennå.",
        "en": "You are not in any network yet.",
    },
    "networks.home.matching_on": {
        "nb": "kollegaprat hver {weeks}. uke",
        "en": "peer chat every {weeks} weeks",
    },
    "networks.home.matching_off": {"nb": "ingen kollegaprat", "en": "no peer chats"},
    "networks.home.matching_paused": {"nb": "pause til {day}", "en": "paused until {day}"},
    "networks.home.matching_ghosted": {
        "nb": "stoppet etter tre ubesvarte introduksjoner",
        "en": "stopped after three unanswered introductions",
    },
    "networks.home.pause_until": {"nb": "Pause til …", "en": "Pause until …"},
    "networks.home.alumni_invite": {
        "nb": "Du har fullført {cohort}. Vil du bli med i alumninettverket?",
        "en": "You have completed {cohort}. Would you like to join the alumni network?",
    },
    "networks.home.profile": {
        "nb": "*Profilen din* – {visibility}",
        "en": "*Your profile* – {visibility}",
    },
    "networks.home.findable": {
        "nb": "andre kan finne deg med `/cohort find`",
        "en": "others can find you with `/cohort find`",
    },
    "networks.home.hidden": {
        "nb": "skjult for andre deltakere",
        "en": "hidden from other participants",
    },
    "networks.button.edit_profile": {"nb": "Rediger profil", "en": "Edit profile"},
    "networks.profile.title": {"nb": "Profilen din", "en": "Your profile"},
    "networks.profile.findable_label": {
        "nb": "Synlighet i katalogen",
        "en": "Directory visibility",
    },
    "networks.profile.findable": {
        "nb": "La andre deltakere og alumni finne meg",
        "en": "Let other participants and alumni find me",
    },
    "networks.profile.project_title": {"nb": "Prosjektet ditt", "en": "Your project"},
    "networks.profile.topics": {
        "nb": "Temaer du kan snakke om",
        "en": "Topics you can talk about",
    },
    "networks.profile.bio": {"nb": "Kort om deg", "en": "About you"},
    "networks.profile.saved": {"nb": "Profilen er lagret.", "en": "Your profile is saved."},
    "networks.profile.save": {"nb": "Lagre", "en": "Save"},
    "networks.directory.title": {
        "nb": "Ledere som vil bli funnet – «{words}»",
        "en": "Leaders who want to be found – “{words}”",
    },
    "networks.directory.usage": {
        "nb": "Skriv hva du leter etter, f.eks. `/cohort find Vestland hjemmetjeneste`.",
        "en": "Say what you are looking for, e.g. `/cohort find Vestland home care`.",
    },
    "networks.directory.dm_opened": {
        "nb": "Jeg har åpnet en samtale mellom dere.",
        "en": "I have opened a conversation between you.",
    },
    "networks.directory.dm_intro": {
        "nb": "{me} fant {them} i katalogen og vil gjerne ta kontakt.",
        "en": "{me} found {them} in the directory and would like to get in touch.",
    },
    "networks.usage.groups": {
        "nb": "Skriv hvilken klasse, f.eks. `/cohort groups 2026h/bergen`.",
        "en": "Say which class, e.g. `/cohort groups 2026h/bergen`.",
    },
    "networks.usage.match": {
        "nb": "Skriv hvilket kull, f.eks. `/cohort match 2026h` (eller `alumni`).",
        "en": "Say which cohort, e.g. `/cohort match 2026h` (or `alumni`).",
    },
    "networks.unknown": {
        "nb": "Fant ikke «{ref}».",
        "en": "Couldn't find “{ref}”.",
    },
    "broadcast.modal.title": {"nb": "Ny kunngjøring", "en": "New announcement"},
    "broadcast.modal.audience": {"nb": "Mottakere", "en": "Audience"},
    "broadcast.modal.audience_hint": {
        "nb": "Filtrene under snevrer inn direktemeldinger; et kanalinnlegg når hele kanalen.",
        "en": "The filters below narrow down direct messages; a channel post reaches everyone in it.",
    },
    "broadcast.modal.choose": {"nb": "Velg …", "en": "Choose …"},
    "broadcast.modal.counties": {"nb": "Bare fylker", "en": "Only counties"},
    "broadcast.modal.service_areas": {
        "nb": "Bare tjenesteområder",
        "en": "Only service areas",
    },
    "broadcast.modal.roles": {
        "nb": "Bare stillinger",
        "en": "Only positions",
    },
    "broadcast.audience.programme": {
        "nb": "Alle deltakere i programmet",
        "en": "All participants in the programme",
    },
    "broadcast.audience.cohort": {"nb": "{cohort}", "en": "{cohort}"},
    "broadcast.audience.class": {"nb": "{cohort} – {klass}", "en": "{cohort} – {klass}"},
    "broadcast.audience.peer_groups": {
        "nb": "Kollegagruppene i {cohort}",
        "en": "The peer groups in {cohort}",
    },
    "broadcast.audience.line_managers": {
        "nb": "Nærmeste ledere – {cohort}",
        "en": "Line managers – {cohort}",
    },
    "broadcast.audience.alumni": {"nb": "Alumni", "en": "Alumni"},
    "broadcast.audience.alumni_cohort": {"nb": "Alumni – {cohort}", "en": "Alumni – {cohort}"},
    "broadcast.error.no_text": {"nb": "Skriv en melding.", "en": "Write a message."},
    "broadcast.error.too_long": {
        "nb": "Meldingen er for lang (høyst 3000 tegn).",
        "en": "The message is too long (3,000 characters at most).",
    },
    "broadcast.error.no_channel": {
        "nb": "Nærmeste ledere har ingen kanal: send som direktemeldinger.",
        "en": "Line managers have no channel: send as direct messages.",
    },
    "broadcast.error.channel_filters": {
        "nb": "Et kanalinnlegg når hele kanalen: fjern filtrene eller send som direktemeldinger.",
        "en": "A channel post reaches the whole channel: remove the filters or send as direct "
        "messages.",
    },
    "broadcast.error.past": {
        "nb": "Tidspunktet har allerede vært. Velg et senere, eller la feltene stå tomme.",
        "en": "That time has passed. Choose a later one, or leave both fields empty.",
    },
    "broadcast.error.no_time": {
        "nb": "Velg også et klokkeslett.",
        "en": "Choose a time as well.",
    },
    "broadcast.error.nobody": {
        "nb": "Ingen i dette utvalget kan nås.",
        "en": "Nobody in this audience can be reached.",
    },
    "broadcast.modal.text": {"nb": "Melding", "en": "Message"},
    "broadcast.modal.mode": {"nb": "Send som", "en": "Send as"},
    "broadcast.modal.dm": {"nb": "Direktemeldinger", "en": "Direct messages"},
    "broadcast.modal.channel": {"nb": "Innlegg i kanalen", "en": "A channel post"},
    "broadcast.modal.when": {
        "nb": "Dato (tomt = nå)",
        "en": "Date (empty = now)",
    },
    "broadcast.modal.when_time": {
        "nb": "Klokkeslett (tomt = nå)",
        "en": "Time (empty = now)",
    },
    "broadcast.modal.urgent": {
        "nb": "Haster – kan sendes utenom vanlig tid",
        "en": "Urgent – may go outside quiet hours",
    },
    "broadcast.modal.next": {"nb": "Forhåndsvis", "en": "Preview"},
    "broadcast.modal.send": {"nb": "Send", "en": "Send"},
    "broadcast.modal.cancel": {"nb": "Avbryt", "en": "Cancel"},
    "broadcast.confirm.count": {
        "nb": "Dette går til *{count}* mottakere ({detail}).",
        "en": "This goes to *{count}* recipients ({detail}).",
    },
    "broadcast.confirm.unreachable": {
        "nb": "{count} kan ikke nås (verken Slack eller e-post).",
        "en": "{count} can't be reached (neither Slack nor email).",
    },
    "broadcast.queued": {
        "nb": plural(
            "count",
            one="Kunngjøring {id} er lagt i kø til {count} mottaker. "
            "Se status med `/cohort announce report {id}`.",
            other="Kunngjøring {id} er lagt i kø til {count} mottakere. "
            "Se status med `/cohort announce report {id}`.",
        ),
        "en": plural(
            "count",
            one="Announcement {id} is queued for {count} recipient. "
            "See how it goes with `/cohort announce report {id}`.",
            other="Announcement {id} is queued for {count} recipients. "
            "See how it goes with `/cohort announce report {id}`.",
        ),
    },
    "broadcast.preview.audience": {"nb": "*Mottakere:* {audience}", "en": "*Audience:* {audience}"},
    "broadcast.preview.where": {"nb": "*Hvor:* {where}", "en": "*Where:* {where}"},
    "broadcast.preview.when": {"nb": "*Når:* {when}", "en": "*When:* {when}"},
    "broadcast.preview.counts": {
        "nb": "*Antall:* {count} – på Slack: {slack} · på e-post: {email} · kan ikke nås: "
        "{unreachable}",
        "en": "*How many:* {count} – by Slack: {slack} · by email: {email} · can't be reached: "
        "{unreachable}",
    },
    "broadcast.preview.email_held": {
        "nb": plural(
            "n",
            one=":warning: E-post er ikke satt opp (SMTP_URL): den ene på e-post kan ikke nås "
            "nå. Meldingen venter og sendes når e-post er satt opp.",
            other=":warning: E-post er ikke satt opp (SMTP_URL): de {n} på e-post kan ikke nås "
            "nå. Meldingene venter og sendes når e-post er satt opp.",
        ),
        "en": plural(
            "n",
            one=":warning: Email is not configured (SMTP_URL): the one by email can't be reached "
            "now. The message waits and goes once email is configured.",
            other=":warning: Email is not configured (SMTP_URL): the {n} by email can't be "
            "reached now. Their messages wait and go once email is configured.",
        ),
    },
    "broadcast.where.dm": {
        "nb": "direktemelding til hver enkelt (e-post til ledere som ikke er på Slack)",
        "en": "a direct message to each person (email to managers not on Slack)",
    },
    "broadcast.where.channels": {"nb": "innlegg i {channels}", "en": "a post in {channels}"},
    "broadcast.when.now": {"nb": "med en gang", "en": "straight away"},
    "broadcast.when.at": {"nb": "{when}", "en": "{when}"},
    "broadcast.when.quiet": {
        "nb": "(utenfor stille timer: det som faller i stille timer, flyttes til neste tillatte tid)",
        "en": "(outside quiet hours: what falls in quiet hours moves to the next allowed time)",
    },
    "broadcast.where.dm_short": {"nb": "direktemeldinger", "en": "direct messages"},
    "broadcast.where.channel_short": {"nb": "kanalinnlegg", "en": "channel posts"},
    "broadcast.status.scheduled": {"nb": "planlagt", "en": "scheduled"},
    "broadcast.status.held": {"nb": "venter på e-post", "en": "waiting for email"},
    "broadcast.status.sending": {"nb": "sendes nå", "en": "going out"},
    "broadcast.status.sent": {"nb": "sendt", "en": "sent"},
    "broadcast.status.cancelled": {"nb": "avlyst", "en": "cancelled"},
    "broadcast.list.title": {"nb": "Kunngjøringer", "en": "Announcements"},
    "broadcast.list.none": {
        "nb": "Ingen kunngjøringer de siste 14 dagene, og ingen planlagt.",
        "en": "No announcements in the last 14 days, and none scheduled.",
    },
    "broadcast.list.item": {
        "nb": "*Nr. {id}* – {status} – {when}\n{audience} · {where} · på Slack: {slack} · "
        "på e-post: {email} · sendt: {sent} · feilet: {failed}",
        "en": "*No. {id}* – {status} – {when}\n{audience} · {where} · by Slack: {slack} · "
        "by email: {email} · sent: {sent} · failed: {failed}",
    },
    "broadcast.list.held": {
        "nb": ":envelope: Venter på e-post (SMTP_URL er ikke satt): {n}",
        "en": ":envelope: Waiting for email (SMTP_URL is not set): {n}",
    },
    "broadcast.list.cancel": {"nb": "Avlys", "en": "Cancel it"},
    "broadcast.list.keep": {"nb": "Behold", "en": "Keep it"},
    "broadcast.list.cancel_confirm": {
        "nb": "Avlyse kunngjøring {id}? Ingen får den.",
        "en": "Cancel announcement {id}? Nobody will get it.",
    },
    "broadcast.list.more": {
        "nb": "… og {n} til: `cohortbot broadcast --list` viser alle.",
        "en": "… and {n} more: `cohortbot broadcast --list` shows them all.",
    },
    "broadcast.list.how": {
        "nb": "Endre før den går: `/cohort announce change NR at 2026-03-10 09:00` eller "
        "`/cohort announce change NR text Ny tekst`. Avlys: `/cohort announce cancel NR`.",
        "en": "Change it before it goes: `/cohort announce change NO at 2026-03-10 09:00` or "
        "`/cohort announce change NO text New text`. Cancel: `/cohort announce cancel NO`.",
    },
    "broadcast.cancelled": {
        "nb": plural(
            "n",
            one="Kunngjøring {id} er avlyst: {n} utsendelse er stoppet.",
            other="Kunngjøring {id} er avlyst: {n} utsendelser er stoppet.",
        ),
        "en": plural(
            "n",
            one="Announcement {id} is cancelled: {n} delivery stopped.",
            other="Announcement {id} is cancelled: {n} deliveries stopped.",
        ),
    },
    "broadcast.changed": {
        "nb": "Kunngjøring {id} er endret.",
        "en": "Announcement {id} is changed.",
    },
    "broadcast.refused": {
        "nb": "Det gikk ikke: {reason}",
        "en": "That didn't work: {reason}",
    },
    "broadcast.usage": {
        "nb": "Skriv `/cohort announce` for en ny kunngjøring, `/cohort announce list`, "
        "`/cohort announce cancel NR`, `/cohort announce change NR at 2026-03-10 09:00`, "
        "`/cohort announce change NR text Ny tekst` eller `/cohort announce report NR`.",
        "en": "Type `/cohort announce` for a new announcement, `/cohort announce list`, "
        "`/cohort announce cancel NO`, `/cohort announce change NO at 2026-03-10 09:00`, "
        "`/cohort announce change NO text New text` or `/cohort announce report NO`.",
    },
    "broadcast.report.twice": {
        "nb": plural(
            "count",
            one=":warning: {count} mottaker kan ha fått den to ganger (høyst {extra} ekstra): "
            "et forsøk ble sendt uten at svaret kom tilbake, og den ble sendt på nytt.",
            other=":warning: {count} mottakere kan ha fått den to ganger (høyst {extra} "
            "ekstra): forsøk ble sendt uten at svaret kom tilbake, og de ble sendt på nytt.",
        ),
        "en": plural(
            "count",
            one=":warning: {count} recipient may have got it twice (at most {extra} extra): an "
            "attempt went out without its answer coming back, and it was sent again.",
            other=":warning: {count} recipients may have got it twice (at most {extra} extra): "
            "attempts went out without their answers coming back, and were sent again.",
        ),
    },
    "broadcast.report.more": {
        "nb": "… og {n} til: `cohortbot broadcast --report {id}` viser alle.",
        "en": "… and {n} more: `cohortbot broadcast --report {id}` shows them all.",
    },
    "broadcast.report": {
        "nb": "Kunngjøring {id}: {sent} sendt, {failed} feilet, {waiting} venter.",
        "en": "Announcement {id}: {sent} sent, {failed} failed, {waiting} waiting.",
    },
    # --- assignments ---------------------------------------------------------------------
    "assignment.post.title": {"nb": "Ny oppgave: {title}", "en": "New assignment: {title}"},
    "assignment.post.due": {"nb": "Frist", "en": "Due"},
    "assignment.post.link": {"nb": "Lenke", "en": "Link"},
    "assignment.post.manager": {
        "nb": "Gjør denne sammen med nærmeste leder. Lederen din får også en påminnelse.",
        "en": "Do this together with your line manager, who gets a reminder too.",
    },
    "assignment.post.context": {
        "nb": "Trykk «Marker som gjort» når du er ferdig, så slutter påminnelsene.",
        "en": "Press “Mark as done” when you have finished, and the reminders stop.",
    },
    "assignment.button.done": {"nb": "Marker som gjort", "en": "Mark as done"},
    "assignment.button.reflect": {"nb": "Skriv en refleksjon", "en": "Write a reflection"},
    "assignment.reminder.title": {"nb": "Påminnelse: {title}", "en": "Reminder: {title}"},
    "assignment.reminder.text": {
        "nb": "Oppgaven «{title}» har frist {due}.",
        "en": "The assignment “{title}” is due {due}.",
    },
    "assignment.overdue.title": {"nb": "Fristen er ute: {title}", "en": "Overdue: {title}"},
    "assignment.overdue.text": {
        "nb": "Oppgaven «{title}» hadde frist {due}. Marker den som gjort når du er ferdig, "
        "eller si fra til programstaben hvis du trenger mer tid.",
        "en": "The assignment “{title}” was due {due}. Mark it as done when you have finished, "
        "or tell the programme staff if you need more time.",
    },
    "assignment.done.recorded": {
        "nb": "Registrert som gjort: «{title}».",
        "en": "Recorded as done: “{title}”.",
    },
    "assignment.done.already": {
        "nb": "«{title}» er allerede registrert som gjort ({when}).",
        "en": "“{title}” is already recorded as done ({when}).",
    },
    "assignment.not_for_you": {
        "nb": "Denne oppgaven hører ikke til et kull du er deltaker i.",
        "en": "This assignment is not in a cohort you take part in.",
    },
    "assignment.unknown": {
        "nb": "Fant ikke oppgaven. Den kan ha blitt fjernet fra planen.",
        "en": "Could not find the assignment. It may have been removed from the plan.",
    },
    "assignment.reflection.title": {"nb": "Refleksjon", "en": "Reflection"},
    "assignment.reflection.label": {
        "nb": "Hva gjorde du, hva lærte du, og hva tar du med deg videre?",
        "en": "What did you do, what did you learn, and what will you take with you?",
    },
    "assignment.reflection.share_label": {"nb": "Deling", "en": "Sharing"},
    "assignment.reflection.share": {
        "nb": "Den kan deles med klassen senere (uten at du må)",
        "en": "It may be shared with the class later (you are not obliged to)",
    },
    "assignment.reflection.private": {
        "nb": "Refleksjonen er din. Programstaben ser den bare hvis du krysser av for deling.",
        "en": "The reflection is yours. Staff see it only if you tick sharing.",
    },
    "assignment.reflection.submit": {"nb": "Lagre", "en": "Save"},
    "assignment.reflection.cancel": {"nb": "Avbryt", "en": "Cancel"},
    "assignment.reflection.saved": {
        "nb": "Refleksjonen til «{title}» er lagret.",
        "en": "Your reflection on “{title}” is saved.",
    },
    "assignment.reflection.empty": {
        "nb": "Skriv noen ord før du lagrer.",
        "en": "Write a few words before saving.",
    },
    "assignment.open.title": {"nb": "Dine åpne oppgaver", "en": "Your open assignments"},
    "assignment.open.none": {
        "nb": "Du har ingen åpne oppgaver akkurat nå.",
        "en": "You have no open assignments right now.",
    },
    "assignment.open.item": {"nb": "*{title}*\nFrist {due}", "en": "*{title}*\nDue {due}"},
    "assignment.open.overdue": {"nb": "Fristen er ute", "en": "Overdue"},
    "assignment.status.title": {
        "nb": "Oppgavestatus – {name}",
        "en": "Assignment status – {name}",
    },
    "assignment.status.counts": {
        "nb": "Gjort {done} · Åpne {open} · Forsinket {overdue}",
        "en": "Done {done} · Open {open} · Overdue {overdue}",
    },
    "assignment.status.who_overdue": {"nb": "Forsinket", "en": "Overdue"},
    "assignment.status.who_open": {"nb": "Ikke levert ennå", "en": "Not done yet"},
    "assignment.status.not_released": {"nb": "Ikke publisert ennå", "en": "Not released yet"},
    "assignment.status.none": {
        "nb": "Ingen oppgaver i planen ennå.",
        "en": "No assignments in the plan yet.",
    },
    "assignment.status.no_channel": {
        "nb": "⚠ Klassen {name} har ingen Slack-kanal ennå, så oppgavene blir ikke postet der.",
        "en": "⚠ The class {name} has no Slack channel yet, so assignments are not posted there.",
    },
    "assignment.status.pick_class": {
        "nb": "Skriv `/cohort assignments <klasse>` for status per person. Klasser: {classes}",
        "en": "Type `/cohort assignments <class>` for status per person. Classes: {classes}",
    },
    "assignment.unknown_class": {
        "nb": "Fant ingen klasse «{ref}».",
        "en": "Could not find a class “{ref}”.",
    },
    # --- line managers -------------------------------------------------------------------
    "nudge.greeting": {"nb": "Hei {name}!", "en": "Hi {name}!"},
    "nudge.intro": {
        "nb": "Du er nærmeste leder for {who} i Nasjonal lederutdanning for "
        "primærhelsetjenesten. Programmet ber om at du tar del underveis.",
        "en": "You are the line manager of {who} in Norway's national leadership programme "
        "for primary health care. The programme asks you to take part along the way.",
    },
    "nudge.respond_by": {"nb": "Svar innen {when}.", "en": "Please answer by {when}."},
    "nudge.respond_by_passed": {
        "nb": "Svarfristen var {when}, men svar gjerne likevel.",
        "en": "The answer-by date was {when}, but please answer anyway.",
    },
    "nudge.answer_for": {"nb": "Ditt svar for {name}", "en": "Your answer for {name}"},
    "nudge.reminder.title": {"nb": "Påminnelse: {title}", "en": "Reminder: {title}"},
    "nudge.later.title": {
        "nb": "Som avtalt, en påminnelse: {title}",
        "en": "As you asked, a reminder: {title}",
    },
    "nudge.context": {
        "nb": "Du får denne meldingen fordi du er oppgitt som nærmeste leder for en deltaker "
        "i lederutdanningen. Har du spørsmål, kontakt programstaben.",
        "en": "You get this message because you are listed as the line manager of a "
        "participant in the leadership programme. If you have questions, contact the staff.",
    },
    "nudge.email.how": {
        "nb": "Velg ett svar per deltaker: lenken åpner en side der ett trykk registrerer "
        "svaret. Du kan endre det fram til fristen.",
        "en": "Choose one answer per participant: the link opens a page where one press "
        "records it. You can change it until the deadline.",
    },
    "nudge.answer.done": {"nb": "Gjort", "en": "Done"},
    "nudge.answer.later": {
        "nb": "Ikke ennå – minn meg på om en uke",
        "en": "Not yet — remind me in a week",
    },
    "nudge.answer.cannot": {"nb": "Kan ikke denne gangen", "en": "Can't this time"},
    "nudge.link.label": {"nb": "{answer} – for {name}", "en": "{answer} — for {name}"},
    "nudge.recorded": {
        "nb": "Takk! Registrert for {name}: {answer}.",
        "en": "Thank you! Recorded for {name}: {answer}.",
    },
    "nudge.recorded.later": {
        "nb": "Vi minner deg på det igjen om en uke.",
        "en": "We will remind you again in a week.",
    },
    "nudge.already": {
        "nb": "Svaret for {name} var allerede registrert: {answer}.",
        "en": "The answer for {name} was already recorded: {answer}.",
    },
    "nudge.not_yours": {
        "nb": "Dette spørsmålet er sendt til en annen leder.",
        "en": "This question was sent to another manager.",
    },
    "nudge.page.title": {"nb": "Takk for svaret", "en": "Thank you for your answer"},
    "nudge.page.question": {
        "nb": "Gjelder {name}. Velg svaret ditt – ingenting er registrert før du trykker.",
        "en": "About {name}. Choose your answer – nothing is recorded until you press one.",
    },
    "nudge.page.current": {
        "nb": "Registrert nå: {answer}. Du kan endre svaret fram til {when}.",
        "en": "On record now: {answer}. You can change it until {when}.",
    },
    "nudge.page.change_until": {
        "nb": "Du kan endre svaret fram til {when}.",
        "en": "You can change your answer until {when}.",
    },
    "nudge.page.final": {
        "nb": "Svaret for {name} er endelig: {answer}.",
        "en": "The answer for {name} is final: {answer}.",
    },
    "nudge.page.stale.title": {
        "nb": "Siden må lastes på nytt",
        "en": "Please open the page again",
    },
    "nudge.page.stale.text": {
        "nb": "Svaret kom ikke fra svarsiden, så ingenting er registrert. Åpne lenken fra "
        "e-posten på nytt og trykk på svaret ditt.",
        "en": "The answer did not come from the answer page, so nothing was recorded. Open "
        "the link from the email again and press your answer.",
    },
    "nudge.page.close": {
        "nb": "Du kan lukke denne siden.",
        "en": "You can close this page.",
    },
    "nudge.page.tampered.title": {
        "nb": "Lenken virker ikke",
        "en": "This link does not work",
    },
    "nudge.page.tampered.text": {
        "nb": "Lenken er ufullstendig eller endret, så ingenting er registrert. Åpne lenken "
        "fra e-posten på nytt, eller kontakt programstaben.",
        "en": "The link is incomplete or has been changed, so nothing was recorded. Open the "
        "link from the email again, or contact the programme staff.",
    },
    "nudge.page.expired.title": {"nb": "Lenken er utløpt", "en": "This link has expired"},
    "nudge.page.expired.text": {
        "nb": "Lenken er for gammel, så ingenting er registrert. Kontakt programstaben hvis "
        "du fortsatt vil gi beskjed.",
        "en": "The link is too old, so nothing was recorded. Contact the programme staff if "
        "you still want to answer.",
    },
    "nudge.participant_told": {
        "nb": "Nærmeste leder {manager} har bekreftet: «{title}».",
        "en": "Your line manager {manager} has confirmed: “{title}”.",
    },
    "nudge.staff.title": {
        "nb": "Ledere som ikke har svart",
        "en": "Line managers who have not answered",
    },
    "nudge.staff.none": {
        "nb": "Ingen ubesvarte ledere å følge opp.",
        "en": "No silent line managers to follow up.",
    },
    "nudge.staff.item": {
        "nb": "*{manager}* ({contact}) – «{title}» for {participant}. Sendt {sent}, purret {reminded}.",
        "en": "*{manager}* ({contact}) – “{title}” for {participant}. Sent {sent}, reminded {reminded}.",
    },
    "nudge.staff.resend": {"nb": "Send på nytt", "en": "Resend"},
    "nudge.staff.handled": {"nb": "Marker som fulgt opp", "en": "Mark handled"},
    "nudge.staff.resent": {
        "nb": "Sendt på nytt til {manager} for {participant}.",
        "en": "Sent again to {manager} for {participant}.",
    },
    "nudge.staff.marked_handled": {
        "nb": "Markert som fulgt opp: {manager} for {participant}.",
        "en": "Marked handled: {manager} for {participant}.",
    },
    "nudge.manager.title": {"nb": "Dine deltakere", "en": "Your participants"},
    "nudge.manager.open": {"nb": "Venter på svar fra deg", "en": "Waiting for your answer"},
    "nudge.manager.none": {
        "nb": "Ingen spørsmål venter på svar fra deg.",
        "en": "No questions are waiting for your answer.",
    },
    "nudge.never": {"nb": "ikke ennå", "en": "not yet"},
    "nudge.figures.title": {
        "nb": "Ledernes deltakelse – {name}",
        "en": "Line-manager involvement – {name}",
    },
    "nudge.figures.more": {"nb": "… og {n} til.", "en": "… and {n} more."},
    "nudge.figures.item": {
        "nb": "*{title}* ({when})\n{answered} av {nudged} har svart ({share}), "
        "{done} «Gjort», median svartid {hours}",
        "en": "*{title}* ({when})\n{answered} of {nudged} answered ({share}), "
        "{done} “Done”, median time to answer {hours}",
    },
    "nudge.figures.hours": {"nb": "{hours} t", "en": "{hours} h"},
    "nudge.figures.none": {
        "nb": "Ingen lederpåminnelser i planen ennå.",
        "en": "No line-manager nudges in the plan yet.",
    },
    # --- pulses (bot/pulses.py, bot/results.py, handlers for pulses) ---------------------
    "pulse.invite.lead": {
        "nb": "*{title}* – vi vil gjerne høre fra deg. Svar innen {when}.",
        "en": "*{title}* – we'd like to hear from you. Please answer by {when}.",
    },
    "pulse.reminder.lead": {
        "nb": "Påminnelse: *{title}* stenger {when}. Det tar under ett minutt.",
        "en": "Reminder: *{title}* closes {when}. It takes less than a minute.",
    },
    "pulse.reminder.lead_anonymous": {
        "nb": "Påminnelse: *{title}* stenger {when}. Har du svart allerede, takk! Du kan "
        "endre svarene dine til den stenger. Påminnelsen går til alle som ble spurt, så "
        "ingen kan se hvem som har svart.",
        "en": "Reminder: *{title}* closes {when}. If you have answered already, thank you! You "
        "can change your answers until it closes. The reminder goes to everyone asked, so "
        "nobody can tell who has answered.",
    },
    "pulse.kind.anonymous": {
        "nb": "Denne pulsen er *anonym*: svarene kan ikke spores tilbake til deg. Påminnelsen går "
        "til alle som ble spurt, så ingen kan se hvem som har svart. Resultater vises bare for "
        "grupper med minst fem svar.",
        "en": "This pulse is *anonymous*: answers cannot be traced to you. The reminder goes to "
        "everyone asked, so nobody can tell who has answered. Results are shown only for groups "
        "of at least five.",
    },
    "pulse.kind.named": {
        "nb": "Denne pulsen er *ikke anonym*: programstaben ser svarene dine sammen med navnet "
        "ditt, slik at de kan følge deg opp.",
        "en": "This pulse is *not anonymous*: the programme staff see your answers with your "
        "name, so they can follow up with you.",
    },
    "pulse.invite.context": {
        "nb": "Du kan endre svaret ved å klikke igjen fram til {when}.",
        "en": "You can change your answer by clicking again until {when}.",
    },
    "pulse.scale.hint": {
        "nb": "1 = svært lite, 5 = svært mye",
        "en": "1 = very little, 5 = very much",
    },
    "pulse.nps.hint": {
        "nb": "0 = svært lite sannsynlig, 10 = svært sannsynlig",
        "en": "0 = very unlikely, 10 = very likely",
    },
    "pulse.email.subject": {"nb": "Spørsmål: {title}", "en": "Questions: {title}"},
    "pulse.email.context": {
        "nb": "Knappene åpner en svarside. Ingenting registreres før du velger svaret ditt der "
        "og sender det.",
        "en": "The buttons open an answer page. Nothing is recorded until you choose your answer "
        "there and send it.",
    },
    "pulse.page.lead": {
        "nb": "Velg svarene dine og trykk «Send svar». Ingenting er registrert før du trykker.",
        "en": 'Choose your answers and press "Send answers". Nothing is recorded until you '
        "press it.",
    },
    "pulse.page.submit": {"nb": "Send svar", "en": "Send answers"},
    "pulse.page.skip": {"nb": "Ikke svar på dette", "en": "Leave this one out"},
    "pulse.page.title": {"nb": "Takk for svaret", "en": "Thank you for your answers"},
    "pulse.page.lead_one": {
        "nb": "Trykk på svaret ditt. Ingenting er registrert før du trykker.",
        "en": "Press your answer. Nothing is recorded until you press it.",
    },
    "pulse.page.marked": {"nb": "Du valgte dette i e-posten", "en": "You chose this in the email"},
    "pulse.page.choose": {
        "nb": "Du har ikke valgt noe svar, så ingenting er registrert. Velg svarene dine og "
        "trykk «Send svar».",
        "en": "You have not chosen an answer, so nothing was recorded. Choose your answers and "
        'press "Send answers".',
    },
    "pulse.page.choose_one": {
        "nb": "Ingenting er registrert ennå. Trykk på svaret ditt.",
        "en": "Nothing has been recorded yet. Press your answer.",
    },
    "pulse.page.again": {
        "nb": "Vil du endre et svar, åpner du lenken i e-posten på nytt fram til {when}.",
        "en": "To change an answer, open the link in the email again until {when}.",
    },
    "pulse.page.invalid": {"nb": "Svaret kunne ikke brukes", "en": "The answer could not be used"},
    "pulse.page.invalid_text": {
        "nb": "Et av svarene er ikke et av valgene, så ingenting er registrert. Åpne lenken i "
        "e-posten på nytt og velg blant knappene.",
        "en": "One of the answers is not one of the choices, so nothing was recorded. Open the "
        "link in the email again and choose among the buttons.",
    },
    "pulse.page.tampered.title": {"nb": "Lenken virker ikke", "en": "This link does not work"},
    "pulse.page.tampered.text": {
        "nb": "Lenken er ufullstendig eller endret, så ingenting er registrert. Åpne lenken "
        "fra e-posten på nytt.",
        "en": "The link is incomplete or has been changed, so nothing was recorded. Open the "
        "link from the email again.",
    },
    "pulse.page.expired.title": {"nb": "Pulsen er stengt", "en": "This pulse has closed"},
    "pulse.page.expired.text": {
        "nb": "Lenken gjelder en puls som er stengt, så ingenting er registrert.",
        "en": "The link is for a pulse that has closed, so nothing was recorded.",
    },
    "email.digest.subject": {
        "nb": "{count} meldinger fra lederutdanningen – {day}",
        "en": "{count} messages from the leadership programme – {day}",
    },
    "email.digest.title": {
        "nb": "Dagens meldinger fra lederutdanningen",
        "en": "Today's messages from the leadership programme",
    },
    "email.digest.lead": {
        "nb": "Her er {count} meldinger til deg i én e-post.",
        "en": "Here are {count} messages for you in one email.",
    },
    "email.digest.part": {"nb": "Melding {n} av {count}", "en": "Message {n} of {count}"},
    "reach.channel.slack": {"nb": "Slack", "en": "Slack"},
    "reach.channel.teams": {"nb": "Teams", "en": "Teams"},
    "reach.channel.email": {"nb": "e-post", "en": "email"},
    "reach.channel.none": {"nb": "ikke nådd", "en": "not reached"},
    "reach.results.line": {
        "nb": "{group}: nådd via {channels}",
        "en": "{group}: reached by {channels}",
    },
    "reach.results.title": {"nb": "Hvordan de ble spurt", "en": "How they were asked"},
    "reach.reason.no_address": {
        "nb": "verken chat-konto eller e-postadresse",
        "en": "no chat account and no email address",
    },
    "reach.reason.bounced": {
        "nb": "ingen chat-konto, og e-posten kom i retur ({detail})",
        "en": "no chat account, and email bounced ({detail})",
    },
    "reach.reason.email_off": {
        "nb": "ingen chat-konto, og e-post er ikke satt opp (SMTP_URL)",
        "en": "no chat account, and email is not configured (SMTP_URL)",
    },
    "reach.unreachable.title": {
        "nb": "Kan ikke nås ({count})",
        "en": "Cannot be reached ({count})",
    },
    "reach.unreachable.none": {
        "nb": "Alle deltakere kan nås på Slack, Teams eller e-post.",
        "en": "Every participant can be reached on Slack, Teams or by email.",
    },
    "report.evaluations.reach_caption": {
        "nb": "{title} ({cohort}): hvordan de ble spurt",
        "en": "{title} ({cohort}): how they were asked",
    },
    "reach.unreachable.item": {
        "nb": "{name} ({klass}), {email}: {reason}",
        "en": "{name} ({klass}), {email}: {reason}",
    },
    "reach.unreachable.hint": {
        "nb": "Hele lista: `cohortbot deliveries`. Legg inn riktig e-post i personimporten, eller "
        "be personen logge inn i Slack eller Teams.",
        "en": "The whole list: `cohortbot deliveries`. Put the right email in the people import, "
        "or ask the person to sign in to Slack or Teams.",
    },
    "reach.unreachable.more": {"nb": "… og {count} til", "en": "… and {count} more"},
    "pulse.text.button": {"nb": "Skriv svar", "en": "Write an answer"},
    "pulse.text.modal_title": {"nb": "Ditt svar", "en": "Your answer"},
    "pulse.text.submit": {"nb": "Send", "en": "Send"},
    "pulse.text.label": {"nb": "Svar", "en": "Answer"},
    "pulse.answer.recorded": {
        "nb": "Takk! Svaret ditt er registrert: *{answer}*. Du kan endre det fram til {when}.",
        "en": "Thank you! Your answer is recorded: *{answer}*. You can change it until {when}.",
    },
    "pulse.answer.recorded_anonymous": {
        "nb": "Takk! Svaret ditt er registrert. Vi gjentar det ikke her, fordi pulsen er anonym. "
        "Du kan endre det fram til {when}.",
        "en": "Thank you! Your answer is recorded. We don't repeat it here because the pulse is "
        "anonymous. You can change it until {when}.",
    },
    "pulse.answer.closed": {
        "nb": "Denne pulsen stengte {when}, så svaret ble ikke registrert.",
        "en": "This pulse closed {when}, so the answer was not recorded.",
    },
    "pulse.answer.not_invited": {
        "nb": "Du er ikke spurt i denne pulsen, så svaret ble ikke registrert.",
        "en": "You were not asked in this pulse, so the answer was not recorded.",
    },
    "pulse.answer.invalid": {
        "nb": "Det svaret forstod jeg ikke. Prøv knappene i meldingen igjen.",
        "en": "I didn't understand that answer. Try the buttons in the message again.",
    },
    "pulse.results.title": {"nb": "Resultater: {title}", "en": "Results: {title}"},
    "pulse.results.response": {
        "nb": "{group}: {answered} av {invited} har svart ({rate})",
        "en": "{group}: {answered} of {invited} answered ({rate})",
    },
    "pulse.results.hidden": {
        "nb": plural(
            "k",
            one="skjult (skjermer grupper med færre enn {k} svar)",
            other="skjult (skjermer grupper med færre enn {k} svar)",
        ),
        "en": plural(
            "k",
            one="hidden (protects groups with fewer than {k} answer)",
            other="hidden (protects groups with fewer than {k} answers)",
        ),
    },
    "pulse.results.mean": {"nb": "gjennomsnitt {mean}", "en": "mean {mean}"},
    "pulse.results.nps": {"nb": "NPS {nps}", "en": "NPS {nps}"},
    "pulse.results.texts": {
        "nb": "Fritekstsvar (uten navn{shuffled}):",
        "en": "Free-text answers (without names{shuffled}):",
    },
    "pulse.results.shuffled": {"nb": ", i tilfeldig rekkefølge", "en": ", in random order"},
    "pulse.results.not_found": {
        "nb": "Fant ingen puls «{ref}».",
        "en": "No pulse “{ref}” found.",
    },
    "pulse.results.usage": {
        "nb": "Skriv `/cohort results <puls>` med pulsens nummer eller tittel.",
        "en": "Type `/cohort results <pulse>` with the pulse's number or title.",
    },
    "pulse.results.recent": {"nb": "Siste pulser:", "en": "Latest pulses:"},
    "pulse.results.pending": {
        "nb": "Pulsen er anonym: svarene åpnes og resultatene vises først når den stenger "
        "{when}, samlet, så ingen kan lese av hvem som svarte hva underveis.",
        "en": "This pulse is anonymous: its answers are opened and the results shown only when "
        "it closes {when}, all at once, so nobody can tell who answered what as they arrive.",
    },
    "pulse.results.so_far": {
        "nb": "Svart så langt: {answered} av {invited}",
        "en": "Answered so far: {answered} of {invited}",
    },
    "pulse.results.pooled": {
        "nb": "Små klasser samlet",
        "en": "Small classes together",
    },
    "pulse.created": {
        "nb": "Pulsen «{title}» er laget. Den sendes {when} og stenger {closes}. "
        "Se svarene med `/cohort results {id}`.",
        "en": "The pulse “{title}” is created. It goes out {when} and closes {closes}. "
        "See the answers with `/cohort results {id}`.",
    },
    # --- participant status (bot/enrolment_status.py) -------------------------------------
    "withdrawal_reason.workload": {"nb": "Arbeidsbelastning", "en": "Workload"},
    "withdrawal_reason.employer": {
        "nb": "Arbeidsgiver ga ikke tid",
        "en": "Employer could not give time",
    },
    "withdrawal_reason.job_change": {
        "nb": "Ny jobb eller endret stilling",
        "en": "New job or changed position",
    },
    "withdrawal_reason.personal": {
        "nb": "Personlige forhold",
        "en": "Personal circumstances",
    },
    "withdrawal_reason.academic": {"nb": "Faglig krevende", "en": "Academic demands"},
    "withdrawal_reason.expectations": {
        "nb": "Svarte ikke til forventningene",
        "en": "Did not meet expectations",
    },
    "withdrawal_reason.other": {"nb": "Annet", "en": "Other"},
    "withdrawal_reason.not_stated": {"nb": "Ikke oppgitt", "en": "Not stated"},
    "status.applicant": {"nb": "søker", "en": "applicant"},
    "status.admitted": {"nb": "tatt opp", "en": "admitted"},
    "status.active": {"nb": "aktiv", "en": "active"},
    "status.completed": {"nb": "fullført", "en": "completed"},
    "status.withdrawn": {"nb": "trukket seg", "en": "withdrawn"},
    "status.not_started": {"nb": "startet ikke", "en": "did not start"},
    "status.recorded": {
        "nb": "Registrert for {email} i {cohort}: {fields}.",
        "en": "Recorded for {email} in {cohort}: {fields}.",
    },
    "status.unchanged": {
        "nb": "Ingenting å endre for {email} i {cohort}: det var allerede registrert.",
        "en": "Nothing to change for {email} in {cohort}: it was already recorded.",
    },
    "status.refused": {"nb": "Ikke registrert: {reason}", "en": "Not recorded: {reason}"},
    "status.usage": {
        "nb": "Bruk: `/cohort status EPOST STATUS [DATO] [årsak=KATEGORI] [poeng=15] "
        "[resultat=bestått|ikke_bestått] [kull=NØKKEL]`. Status: {statuses}. "
        "Årsaker: {reasons}.",
        "en": "Usage: `/cohort status EMAIL STATUS [DATE] [reason=CATEGORY] [credits=15] "
        "[result=passed|failed] [cohort=KEY]`. Statuses: {statuses}. Reasons: {reasons}.",
    },
    # --- report (annual status report; bot/report/) --------------
    "report.title": {
        "nb": "Årsrapport {year} – Nasjonal lederutdanning for primærhelsetjenesten",
        "en": "Annual status report {year} – National leadership programme for primary health care",
    },
    "report.generated": {"nb": "Laget {when}.", "en": "Generated {when}."},
    "report.contents": {"nb": "Innhold", "en": "Contents"},
    "report.legend": {
        "nb": "«{mark}» betyr at tallet er skjult fordi gruppen har færre enn {k} personer, "
        "eller fordi tallet ellers kunne regnes ut fra summene. Skjulte tall er ikke null.",
        "en": "“{mark}” means the number is hidden because the group has fewer than {k} people, "
        "or because it could otherwise be worked out from the totals. Hidden is not zero.",
    },
    "report.suppressed": {"nb": "skjult", "en": "hidden"},
    "report.cohorts_included": {
        "nb": "Kull med i rapporten: {cohorts}.",
        "en": "Cohorts in this report: {cohorts}.",
    },
    "report.no_cohorts": {
        "nb": "Ingen kull hadde aktivitet i {year}.",
        "en": "No cohort was active in {year}.",
    },
    "report.unknown": {"nb": "Ukjent / ikke oppgitt", "en": "Unknown / not given"},
    "report.total": {"nb": "Totalt", "en": "Total"},
    "report.cohort": {"nb": "Kull", "en": "Cohort"},
    "report.group": {"nb": "Gruppe", "en": "Group"},
    "report.people": {"nb": "Personer", "en": "People"},
    "report.alumni": {"nb": "Alumni", "en": "Alumni"},
    "report.whole_cohort": {"nb": "Hele kullet", "en": "Whole cohort"},
    "report.no_class": {"nb": "Uten klasse", "en": "No class"},
    "report.no_data": {"nb": "Ingen data for året.", "en": "No data for the year."},
    "report.programme_total": {"nb": "Sum {programme}", "en": "Total {programme}"},
    "report.section.enrolment": {"nb": "Søkere og deltakere", "en": "Applicants and participants"},
    "report.section.summary": {"nb": "Sammendrag", "en": "Summary"},
    "report.summary.caption": {"nb": "Nøkkeltall per år", "en": "Key figures per year"},
    "report.summary.figure": {"nb": "Nøkkeltall", "en": "Figure"},
    "report.summary.response_rate": {
        "nb": "Svarprosent på pulsmålinger",
        "en": "Pulse response rate (%)",
    },
    "report.summary.intro": {
        "nb": "De viktigste tallene, med tidligere år ved siden av når de finnes.",
        "en": "The main figures, with earlier years beside them where there are any.",
    },
    "report.summary.no_history": {
        "nb": "Det finnes ingen tidligere år å sammenligne med.",
        "en": "There are no earlier years to compare with.",
    },
    "report.final_title": {
        "nb": "Sluttrapport {first}–{last} – Nasjonal lederutdanning for primærhelsetjenesten",
        "en": "Final report {first}–{last} – National leadership programme for primary health care",
    },
    "report.missing.no_denominator": {"nb": "ingen å regne av", "en": "none to count from"},
    "report.missing.not_sent": {"nb": "ikke sendt ennå", "en": "not sent yet"},
    "report.missing.not_opened": {"nb": "ikke åpnet ennå", "en": "not opened yet"},
    "report.page": {"nb": "Side", "en": "Page"},
    "report.enrolment.intro": {
        "nb": "Søkere er alle som søkte; startet er de som begynte i programmet; frafall er de "
        "som sluttet etter oppstart.",
        "en": "Applicants are everyone who applied; started are those who began the programme; "
        "dropouts are those who left after the start.",
    },
    "report.enrolment.caption": {
        "nb": "Søkere, opptak, gjennomføring og frafall per kull, {year}",
        "en": "Applicants, admissions, completion and dropout per cohort, {year}",
    },
    "report.enrolment.applicants": {"nb": "Søkere", "en": "Applicants"},
    "report.enrolment.admitted": {"nb": "Tatt opp", "en": "Admitted"},
    "report.enrolment.started": {"nb": "Startet", "en": "Started"},
    "report.enrolment.completed": {"nb": "Fullført", "en": "Completed"},
    "report.enrolment.withdrawn": {"nb": "Trukket seg", "en": "Withdrawn"},
    "report.enrolment.dropouts": {"nb": "Frafall etter start", "en": "Dropouts after start"},
    "report.enrolment.completion_rate": {
        "nb": "Fullført av de som avsluttet (%)",
        "en": "Completed of those who finished or left (%)",
    },
    "report.enrolment.participants": {
        "nb": "Deltakere i perioden",
        "en": "Participants in the period",
    },
    "report.enrolment.not_started": {"nb": "Startet ikke", "en": "Did not start"},
    "report.enrolment.in_progress": {
        "nb": "Underveis ved periodens slutt",
        "en": "In progress at the end",
    },
    "report.enrolment.outcome_missing": {
        "nb": "Kullet er ferdig, utfall ikke registrert",
        "en": "Cohort over, outcome not recorded",
    },
    "report.enrolment.note": {
        "nb": "Søkere, opptak og oppstart telles i året kullet starter; fullføring og frafall i "
        "året de ble registrert; deltakere i perioden er alle som var i programmet minst én dag "
        "av den. Andelen fullført regnes av dem som fullførte eller sluttet etter oppstart i "
        "perioden; «–» betyr at ingen avsluttet ennå.",
        "en": "Applicants, admissions and starts count in the year the cohort starts; completion "
        "and dropout in the year they were recorded; participants in the period are everyone in "
        "the programme on at least one day of it. The completion share is of those who completed "
        "or left after starting in the period; “–” means nobody has finished yet.",
    },
    "report.enrolment.outcome_missing_note": {
        "nb": "Noen deltakere i kull som er ferdige har ikke registrert utfall: registrer "
        "fullført eller sluttet med `cohortbot person status` eller `/cohort status`.",
        "en": "Some participants of cohorts that are over have no recorded outcome: record "
        "completed or withdrawn with `cohortbot person status` or `/cohort status`.",
    },
    "report.enrolment.chart": {
        "nb": "Fra søknad til fullført",
        "en": "From application to completion",
    },
    "report.section.dropout": {"nb": "Frafall", "en": "Dropout"},
    "report.dropout.intro": {
        "nb": "Når i programmet deltakerne trakk seg (mellom hvilke samlinger), og hvorfor.",
        "en": "When in the programme participants withdrew (between which sessions), and why.",
    },
    "report.dropout.none": {
        "nb": "Ingen deltakere i disse kullene har trukket seg.",
        "en": "No participant in these cohorts has withdrawn.",
    },
    "report.dropout.when_caption": {
        "nb": "Tidspunkt for frafall per kull",
        "en": "When participants withdrew, per cohort",
    },
    "report.dropout.why_caption": {
        "nb": "Årsak til frafall per kull",
        "en": "Reasons for withdrawal, per cohort",
    },
    "report.dropout.interval": {"nb": "Tidspunkt", "en": "When"},
    "report.dropout.reason": {"nb": "Årsak", "en": "Reason"},
    "report.dropout.reasons_note": {
        "nb": "Årsakene er faste kategorier registrert av programmets ansatte; fritekst brukes ikke.",
        "en": "Reasons are fixed categories recorded by programme staff; no free text is used.",
    },
    "report.withheld": {
        "nb": "Tabellen er skjult i sin helhet: med så få personer (under {k}) kunne "
        "enkeltpersoner ellers regnes ut fra totalene.",
        "en": "The whole table is hidden: with so few people (under {k}) individuals could "
        "otherwise be worked out from the totals.",
    },
    "report.year": {"nb": "År", "en": "Year"},
    "report.dropout.before_start": {"nb": "Før oppstart", "en": "Before the start"},
    "report.dropout.before_first": {"nb": "Før første samling", "en": "Before the first session"},
    "report.dropout.between": {
        "nb": "Mellom samling {a} og {b}",
        "en": "Between sessions {a} and {b}",
    },
    "report.dropout.after_last": {"nb": "Etter siste samling", "en": "After the last session"},
    "report.section.background": {"nb": "Deltakernes bakgrunn", "en": "Participants' background"},
    "report.background.intro": {
        "nb": "Deltakere som startet i programmet, etter stilling, kjønn, tjenesteområde og utdanning.",
        "en": "Participants who started the programme, by position, gender, service area and education.",
    },
    "report.background.position": {
        "nb": "Deltakere etter stilling",
        "en": "Participants by position",
    },
    "report.background.position.label": {"nb": "Stilling", "en": "Position"},
    "report.background.gender": {"nb": "Deltakere etter kjønn", "en": "Participants by gender"},
    "report.background.gender.label": {"nb": "Kjønn", "en": "Gender"},
    "report.background.service_area": {
        "nb": "Deltakere etter tjenesteområde",
        "en": "Participants by service area",
    },
    "report.background.service_area.label": {"nb": "Tjenesteområde", "en": "Service area"},
    "report.background.education": {
        "nb": "Deltakere etter utdanning",
        "en": "Participants by education",
    },
    "report.background.education.label": {"nb": "Utdanning", "en": "Education"},
    "report.background.workplace": {
        "nb": "Deltakere etter arbeidssted",
        "en": "Participants by workplace",
    },
    "report.background.workplace.label": {"nb": "Arbeidssted", "en": "Workplace"},
    "report.background.municipality": {
        "nb": "Deltakere etter kommune",
        "en": "Participants by municipality",
    },
    "report.background.municipality.label": {"nb": "Kommune", "en": "Municipality"},
    "report.background.county": {"nb": "Deltakere etter fylke", "en": "Participants by county"},
    "report.background.county.label": {"nb": "Fylke", "en": "County"},
    "report.section.geography": {"nb": "Geografisk spredning", "en": "Geographic spread"},
    "report.geography.intro": {
        "nb": "Hvor deltakerne arbeider: fylke, og hvor mange kommuner som er representert.",
        "en": "Where participants work: county, and how many municipalities are represented.",
    },
    "report.geography.municipalities_caption": {
        "nb": "Antall kommuner representert per fylke (alle kull)",
        "en": "Municipalities represented per county (all cohorts)",
    },
    "report.geography.municipalities": {"nb": "Kommuner", "en": "Municipalities"},
    "report.section.evaluations": {
        "nb": "Deltakernes evalueringer",
        "en": "Participant evaluations",
    },
    "report.evaluations.intro": {
        "nb": "Alle pulsmålinger i året: antall spurt og svart, svarprosent, fordeling og "
        "gjennomsnitt. Resultater for grupper med færre enn {k} svar er skjult.",
        "en": "Every pulse of the year: invited and answered, response rate, distribution and "
        "mean. Results for groups with fewer than {k} answers are hidden.",
    },
    "report.evaluations.anonymous": {"nb": "anonym", "en": "anonymous"},
    "report.evaluations.not_opened": {
        "nb": "Ikke åpnet ennå (ikke med i tallene): {titles}.",
        "en": "Not opened yet (not in the figures): {titles}.",
    },
    "report.evaluations.named": {"nb": "med navn", "en": "named"},
    "report.evaluations.response_caption": {
        "nb": "{title} ({cohort}, {kind}): svarprosent",
        "en": "{title} ({cohort}, {kind}): response rate",
    },
    "report.evaluations.question_caption": {
        "nb": "{title} ({cohort}) – spørsmål {number}: {text}",
        "en": "{title} ({cohort}) – question {number}: {text}",
    },
    "report.evaluations.invited": {"nb": "Spurt", "en": "Invited"},
    "report.evaluations.answered": {"nb": "Svart", "en": "Answered"},
    "report.evaluations.rate": {"nb": "Svarprosent", "en": "Response rate (%)"},
    "report.evaluations.mean": {"nb": "Gjennomsnitt", "en": "Mean"},
    "report.evaluations.nps": {"nb": "NPS", "en": "NPS"},
    "report.evaluations.chart": {
        "nb": "Gjennomsnitt på pulsenes første skala-spørsmål (1–5) per kull, vektet etter svar",
        "en": "Mean of the pulses' first scale question (1–5) per cohort, weighted by answers",
    },
    "report.evaluations.text_note": {
        "nb": "Fritekstsvar er ikke med i rapporten: innholdet kan avsløre hvem som skrev dem.",
        "en": "Free-text answers are not part of the report: their wording can reveal who wrote them.",
    },
    "report.section.results": {"nb": "Resultater", "en": "Results"},
    "report.results.intro": {
        "nb": "Studiepoeng oppnådd per kull.",
        "en": "Credits achieved per cohort.",
    },
    "report.results.caption": {"nb": "Studiepoeng per kull", "en": "Credits per cohort"},
    "report.results.started": {"nb": "Startet", "en": "Started"},
    "report.results.completed": {"nb": "Fullført", "en": "Completed"},
    "report.results.with_credits": {"nb": "Med studiepoeng", "en": "With credits"},
    "report.results.total_credits": {"nb": "Studiepoeng totalt", "en": "Total credits"},
    "report.results.mean_credits": {
        "nb": "Studiepoeng per deltaker med resultat",
        "en": "Credits per participant with a result",
    },
    "report.results.recorded": {"nb": "Med registrert resultat", "en": "With a recorded result"},
    "report.results.no_credits": {
        "nb": "Ingen studiepoeng registrert",
        "en": "No credits recorded",
    },
    "report.results.none": {
        "nb": "Ingen resultater er registrert i perioden.",
        "en": "No results were recorded in the period.",
    },
    "report.results.exam_caption": {
        "nb": "Eksamensresultat per kull",
        "en": "Exam results per cohort",
    },
    "report.results.exam": {"nb": "Eksamen", "en": "Exam"},
    "report.results.exam.passed": {"nb": "Bestått", "en": "Passed"},
    "report.results.exam.failed": {"nb": "Ikke bestått", "en": "Failed"},
    "report.results.exam.none": {"nb": "Ingen eksamen registrert", "en": "No exam recorded"},
    "report.results.distribution_caption": {
        "nb": "Deltakere etter oppnådde studiepoeng",
        "en": "Participants by credits achieved",
    },
    "report.results.credits": {"nb": "Studiepoeng", "en": "Credits"},
    "report.section.involvement": {
        "nb": "Involvering av nærmeste leder",
        "en": "Line-manager involvement",
    },
    "report.involvement.suppressed": {
        "nb": "Tall som gjelder færre enn {k} personer – også når de bare kunne regnes ut av en "
        "andel – er skjult (*), og median svartid vises bare der minst {k} ledere svarte.",
        "en": "Figures about fewer than {k} people – also where only a share would give them "
        "away – are hidden (*), and the median answer time shows only where at least {k} "
        "managers answered.",
    },
    "report.withheld_cells": {
        "nb": "Tall som gjelder færre enn {k} personer, og tall de kunne regnes ut av, er skjult (*).",
        "en": "Figures about fewer than {k} people, and figures they could be worked out from, "
        "are hidden (*).",
    },
    "report.involvement.intro": {
        "nb": "Andel nærmeste ledere som svarte på hver påminnelse, andel som svarte «gjort», "
        "og median svartid.",
        "en": "Share of line managers who answered each nudge, share who answered “done”, "
        "and the median time to answer.",
    },
    "report.involvement.caption": {
        "nb": "Nærmeste leder per påminnelse, {cohort}",
        "en": "Line managers per nudge, {cohort}",
    },
    "report.involvement.nudge": {"nb": "Påminnelse", "en": "Nudge"},
    "report.involvement.nudged": {"nb": "Ledere spurt", "en": "Managers asked"},
    "report.involvement.participants": {
        "nb": "Deltakere med leder spurt",
        "en": "Participants whose manager was asked",
    },
    "report.involvement.managers": {"nb": "Ledere spurt", "en": "Managers asked"},
    "report.involvement.share_answered": {"nb": "Svart (%)", "en": "Answered (%)"},
    "report.involvement.share_done": {"nb": "«Gjort» (%)", "en": "“Done” (%)"},
    "report.involvement.median_hours": {
        "nb": "Median svartid (timer)",
        "en": "Median time to answer (hours)",
    },
    "report.involvement.escalated": {"nb": "Eskalert", "en": "Escalated"},
    "report.section.networks": {"nb": "Nettverksaktivitet", "en": "Network activity"},
    "report.networks.intro": {
        "nb": "Kollegamatching: svar på «Fikk dere møttes?».",
        "en": "Peer matching: answers to “Did you meet?”.",
    },
    "report.networks.caption": {"nb": "Møter i nettverkene", "en": "Meetings in the networks"},
    "report.networks.network": {"nb": "Nettverk", "en": "Network"},
    "report.networks.rounds": {"nb": "Runder", "en": "Rounds"},
    "report.networks.checkins": {"nb": "Svar", "en": "Answers"},
    "report.networks.met": {"nb": "Møttes (%)", "en": "Met (%)"},
    # --- dropout signals (bot/risk.py: the weekly staff digest) --------------------------
    "risk.digest.title": {
        "nb": "Frafallsvarsler, uke {week}",
        "en": "Dropout signals, week {week}",
    },
    "risk.digest.lead": {
        "nb": plural(
            "n",
            one="{n} deltaker viser tegn som kan varsle frafall i uke {week}.",
            other="{n} deltakere viser tegn som kan varsle frafall i uke {week}.",
        ),
        "en": plural(
            "n",
            one="{n} participant shows signs that may point to dropout in week {week}.",
            other="{n} participants show signs that may point to dropout in week {week}.",
        ),
    },
    "risk.digest.none": {
        "nb": "Ingen deltakere viser tegn til frafall i uke {week}.",
        "en": "No participants show signs of dropout in week {week}.",
    },
    "risk.digest.followed_up": {"nb": "Fulgt opp", "en": "Followed up"},
    "risk.digest.context": {
        "nb": "Varslene bygger på oppgaver over fristen, ubesvarte og lave svar på pulser med "
        "navn, og nærmeste ledere som ikke svarer. Anonyme pulser brukes aldri.",
        "en": "The signals come from overdue assignments, unanswered and low answers on named "
        "pulses, and line managers who do not answer. Anonymous pulses are never used.",
    },
    "risk.digest.more": {"nb": "… og {n} til.", "en": "… and {n} more."},
    "risk.digest.marked": {
        "nb": "Fulgt opp av {name}.",
        "en": "Followed up by {name}.",
    },
    "risk.reason.overdue_assignments": {
        "nb": plural(
            "n",
            one="{n} oppgave over fristen, ikke levert",
            other="{n} oppgaver over fristen, ikke levert",
        ),
        "en": plural(
            "n",
            one="{n} assignment past due, not done",
            other="{n} assignments past due, not done",
        ),
    },
    "risk.reason.unanswered_pulses": {
        "nb": plural(
            "n",
            one="{n} puls med navn ubesvart",
            other="{n} pulser med navn ubesvart",
        ),
        "en": plural(
            "n",
            one="{n} named pulse unanswered",
            other="{n} named pulses unanswered",
        ),
    },
    "risk.reason.low_scores": {
        "nb": plural(
            "n",
            one="{n} lavt svar på en puls med navn",
            other="{n} lave svar på pulser med navn",
        ),
        "en": plural(
            "n",
            one="{n} low answer on a named pulse",
            other="{n} low answers on named pulses",
        ),
    },
    "risk.reason.silent_manager": {
        "nb": plural(
            "n",
            one="nærmeste leder har ikke svart på {n} påminnelse, heller ikke etter eskalering",
            other="nærmeste leder har ikke svart på {n} påminnelser, heller ikke etter eskalering",
        ),
        "en": plural(
            "n",
            one="line manager has not answered {n} nudge, even after escalation",
            other="line manager has not answered {n} nudges, even after escalation",
        ),
    },
    # --- channel joins ---------------------------------------------------------------------
    "join.welcome": {
        "nb": "Velkommen til *{network}*, {name}! Her deler vi oppgaver, erfaringer og "
        "kunngjøringer. Skriv `/cohort help` for å se hva du kan gjøre med cohortbot.",
        "en": "Welcome to *{network}*, {name}! This is where we share assignments, experience "
        "and announcements. Type `/cohort help` to see what you can do with cohortbot.",
    },
    # --- deliveries (staff) ---------------------------------------------------------------
    "deliveries.title": {"nb": "Utsendelser", "en": "Deliveries"},
    "deliveries.counts": {
        "nb": "*Venter:* {pending}   *Sendt:* {sent}   *Feilet:* {failed}   *Avbrutt:* {cancelled}",
        "en": "*Pending:* {pending}   *Sent:* {sent}   *Failed:* {failed}   *Cancelled:* {cancelled}",
    },
    "deliveries.paused": {
        "nb": ":rotating_light: *All sending via {transport} er stanset:* {reason}. "
        "Rett feilen og kjør `cohortbot deliveries --resume {transport}`.",
        "en": ":rotating_light: *All sending via {transport} is paused:* {reason}. "
        "Fix the cause and run `cohortbot deliveries --resume {transport}`.",
    },
    "deliveries.uncertain": {
        "nb": plural(
            "count",
            one="{count} melding kan ha blitt sendt to ganger: et forsøk fikk aldri svar "
            "(underveis da en prosess stoppet, eller svaret gikk tapt), og den ble sendt på nytt.",
            other="{count} meldinger kan ha blitt sendt to ganger: forsøk fikk aldri svar "
            "(underveis da en prosess stoppet, eller svaret gikk tapt), og de ble sendt på nytt.",
        ),
        "en": plural(
            "count",
            one="{count} message may have gone out twice: an attempt never got its answer "
            "(in flight when a process stopped, or the answer lost), and it was sent again.",
            other="{count} messages may have gone out twice: attempts never got their answers "
            "(in flight when a process stopped, or the answers lost), and were sent again.",
        ),
    },
    "deliveries.alert.title": {
        "nb": "cohortbot: utsending via {transport} er stanset",
        "en": "cohortbot: sending on {transport} is paused",
    },
    "deliveries.alert.text": {
        "nb": "All utsending via {transport} er stanset: {reason}. Ingenting er tapt; meldingene "
        "venter i utboksen. Rett tilgangen, og kjør `cohortbot deliveries --resume {transport}`.",
        "en": "Sending on {transport} is paused: {reason}. Nothing is lost; the messages wait in "
        "the outbox. Fix the credentials, then run `cohortbot deliveries --resume {transport}`.",
    },
    "deliveries.no_failures": {"nb": "Ingen feilede utsendelser.", "en": "No failed deliveries."},
    "deliveries.failures": {"nb": "*Siste feil*", "en": "*Latest failures*"},
    "deliveries.failure": {
        "nb": plural(
            "attempts",
            one="• {who} – {kind} via {transport}: `{error}` ({attempts} forsøk)",
            other="• {who} – {kind} via {transport}: `{error}` ({attempts} forsøk)",
        ),
        "en": plural(
            "attempts",
            one="• {who} – {kind} via {transport}: `{error}` ({attempts} attempt)",
            other="• {who} – {kind} via {transport}: `{error}` ({attempts} attempts)",
        ),
    },
    "deliveries.next_due": {"nb": "Neste utsendelse: {when}", "en": "Next delivery: {when}"},
    # --- Microsoft Teams (the personal chat with the bot) ----------------------------------
    "teams.help.title": {"nb": "Dette kan du skrive til meg", "en": "What you can write to me"},
    "teams.help.everyone": {
        "nb": "• *hjelp* – denne hjelpen\n"
        "• *neste* – neste samling, åpne oppgaver og pulser\n"
        "• *oppgaver* – dine åpne oppgaver\n"
        "• *finn* ord – ledere i katalogen som vil bli funnet\n"
        "• *profil* – profilen din i katalogen, og om du vil bli funnet\n"
        "• *matching* av | på | pause DATO – kollegapraten\n"
        "• *arkiv* ord | *arkiv legg til* | *arkiv mine* – arkivet med prosjekter og materiale",
        "en": "• *help* – this help\n"
        "• *next* – your next session, open assignments and pulses\n"
        "• *assignments* – your open assignments\n"
        "• *find* words – leaders in the directory who want to be found\n"
        "• *profile* – your directory profile, and whether you want to be found\n"
        "• *matching* off | on | pause DATE – the peer chats\n"
        "• *archive* words | *archive add* | *archive mine* – the archive of projects and material",
    },
    "teams.archive.usage": {
        "nb": "• *arkiv* ord – søk i arkivet\n"
        "• *arkiv legg til* – legg til prosjektet ditt\n"
        "• *arkiv mine* – endre, trekk tilbake eller last ned det du har lagt til",
        "en": "• *archive* words – search the archive\n"
        "• *archive add* – add your project\n"
        "• *archive mine* – change, withdraw or download what you have added",
    },
    "teams.archive.more": {
        "nb": plural(
            "n",
            one="… og 1 til. Skriv «{command}» for neste side.",
            other="… og {n} til. Skriv «{command}» for neste side.",
        ),
        "en": plural(
            "n",
            one="… and 1 more. Type “{command}” for the next page.",
            other="… and {n} more. Type “{command}” for the next page.",
        ),
    },
    "teams.archive.mine.none": {
        "nb": "Du har ikke lagt noe i arkivet. Skriv *arkiv legg til* for å legge til "
        "prosjektet ditt.",
        "en": "You have not added anything to the archive. Type *archive add* to add your project.",
    },
    "teams.archive.added": {
        "nb": "«{title}» er lagt i arkivet (nr. {id}), synlig for: {visibility}. Du kan endre "
        "eller trekke det tilbake med *arkiv mine*.",
        "en": "“{title}” is in the archive (no. {id}), visible to: {visibility}. You can "
        "change or withdraw it with *archive mine*.",
    },
    "teams.archive.no_file": {
        "nb": "Vil du legge ved en fil (PDF eller Word)? Send den til meg her i chatten, så får "
        "du skjemaet med filen i. Eller gi en lenke til den (for eksempel i OneDrive eller "
        "SharePoint).",
        "en": "Want to attach a file (PDF or Word)? Send it to me here in the chat, and you get "
        "the form with the file in it. Or give a link to it (in OneDrive or SharePoint, say).",
    },
    "teams.archive.file": {"nb": "Fil: {name}", "en": "File: {name}"},
    "teams.archive.file.expired": {
        "nb": "Filen er ikke lenger tilgjengelig for meg. Send den på nytt i chatten. Ingenting "
        "er lagret.",
        "en": "The file is no longer available to me. Send it again in the chat. Nothing was "
        "saved.",
    },
    "teams.archive.file.failed": {
        "nb": "Jeg fikk ikke hentet filen fra Teams. Ingenting er lagret; send den på nytt.",
        "en": "I could not fetch the file from Teams. Nothing was saved; send it again.",
    },
    "teams.archive.field.url": {"nb": "Lenke", "en": "Link"},
    "teams.archive.required": {"nb": "Fyll inn dette feltet.", "en": "Fill in this field."},
    "teams.archive.download.ready": {
        "nb": "Lenken til «{title}» virker i {minutes} minutter, bare for deg.",
        "en": "The link to “{title}” works for {minutes} minutes, for you only.",
    },
    "teams.help.evaluator": {
        "nb": "*For Helsedirektoratet*\n"
        "• *resultater* – samlede resultater fra avsluttede pulsmålinger (aldri enkeltpersoner)",
        "en": "*For the Directorate*\n"
        "• *results* – aggregated results of closed pulses (never a single person)",
    },
    "teams.help.staff": {
        "nb": "*For programstaben*\n"
        "• *oppgaver* [klasse] – status per oppgave (og per person når du nevner en klasse)\n"
        "• *resultater* [puls] – svarprosent og resultater\n"
        "• *ledere* – ledernes deltakelse og hvem som ikke har svart\n"
        "• *utsendelser* – utsendelser som venter eller feilet, og hvem som ikke kan nås\n"
        "• *kunngjøring* – send en kunngjøring: mottakere, forhåndsvisning og tidspunkt\n"
        "• *rapport* [år] [html|xlsx|csv] – årsrapporten, som en nedlastingslenke\n"
        "• *synk* kull – lag klassekanalene i Teams og legg til deltakerne",
        "en": "*For programme staff*\n"
        "• *assignments* [class] – status per assignment (and per person when you name a class)\n"
        "• *results* [pulse] – response rates and results\n"
        "• *managers* – line-manager involvement and who has not answered\n"
        "• *deliveries* – deliveries waiting or failed, and who cannot be reached\n"
        "• *announce* – send an announcement: audience, preview and time\n"
        "• *report* [year] [html|xlsx|csv] – the annual report, as a download link\n"
        "• *sync* cohort – make the class channels in Teams and add the participants",
    },
    "teams.help.line_manager": {
        "nb": "*Som nærmeste leder* svarer du på påminnelsene om deltakerne dine med ett klikk i kortet.",
        "en": "*As a line manager* you answer the nudges about your participants with one click "
        "in the card.",
    },
    "teams.sync.done": {
        "nb": "Klassekanaler for {cohort}: {channels}. Lagt til: {added}, tatt ut: {left}, "
        "flyttet til en annen klasse: {moved}. Kanalene lages i Teams om et øyeblikk.",
        "en": "Class channels for {cohort}: {channels}. Added: {added}, taken out: {left}, "
        "moved to another class: {moved}. Teams gets the channels in a moment.",
    },
    "teams.sync.none": {"nb": "ingen nye", "en": "none new"},
    "teams.sync.missing": {
        "nb": "Ikke lagt til, fordi Teams ikke kjenner dem ennå (ingen Entra-id; de legges til "
        "ved neste synk når de har appen): {names}",
        "en": "Not added, because Teams does not know them yet (no Entra id; the next sync adds "
        "them once they have the app): {names}",
    },
    "teams.sync.no_team": {
        "nb": "Boten lager ikke klassekanaler i Teams her (TEAMS_TEAM_ID er ikke satt): staben "
        "lager dem selv. Medlemskapene er oppdatert.",
        "en": "The bot does not make class channels in Teams here (TEAMS_TEAM_ID is not set): "
        "staff make them. The memberships are up to date.",
    },
    "teams.sync.usage": {
        "nb": "Skriv *synk KULL*, for eksempel *synk 2026h*.",
        "en": "Write *sync COHORT*, for example *sync 2026h*.",
    },
    "teams.unknown_command": {
        "nb": "Jeg forstod ikke «{command}». Skriv *hjelp* for å se hva du kan skrive.",
        "en": "I didn't understand “{command}”. Write *help* to see what you can write.",
    },
    "teams.welcome.title": {"nb": "Velkommen til cohortbot", "en": "Welcome to cohortbot"},
    "teams.welcome.text": {
        "nb": "Hei, {name}! Her får du oppgaver, påminnelser og korte pulser fra "
        "lederutdanningen, og svarer med ett klikk. Skriv *neste* for det som kommer, "
        "eller *hjelp* for alt du kan skrive.",
        "en": "Hi, {name}! Here you get assignments, reminders and short pulses from the "
        "leadership programme, and answer in one click. Write *next* for what is coming, "
        "or *help* for everything you can write.",
    },
    "teams.whats_next.title": {"nb": "Det som kommer", "en": "What's next"},
    "teams.whats_next.session": {
        "nb": "*Neste samling:* {title}, {when}",
        "en": "*Next session:* {title}, {when}",
    },
    "teams.whats_next.no_session": {
        "nb": "Ingen samlinger er planlagt ennå.",
        "en": "No sessions are planned yet.",
    },
    "teams.whats_next.pulse": {
        "nb": "• Puls: {title} – åpen til {when}",
        "en": "• Pulse: {title} – open until {when}",
    },
    "teams.whats_next.nothing_open": {
        "nb": "Du har ingen åpne oppgaver eller pulser.",
        "en": "You have no open assignments or pulses.",
    },
    "teams.personal_only": {
        "nb": "Skriv det til meg i en personlig chat: svaret har opplysninger om enkeltpersoner.",
        "en": "Write that to me in a personal chat: the answer has details about people.",
    },
    "teams.more": {"nb": "… og {n} til.", "en": "… and {n} more."},
    "teams.send": {"nb": "Send inn", "en": "Send"},
    "teams.reflection.share": {
        "nb": "Kan deles med klassen",
        "en": "May be shared with the class",
    },
    "teams.answered": {"nb": "Besvart", "en": "Answered"},
    "teams.matching.usage": {
        "nb": "Skriv *matching av*, *matching på* eller *matching pause 2027-03-01*.",
        "en": "Write *matching off*, *matching on* or *matching pause 2027-03-01*.",
    },
    "teams.matching.none": {
        "nb": "Du er ikke med i noe nettverk med kollegaprat. Ingenting er endret.",
        "en": "You are in no network with peer chats. Nothing was changed.",
    },
    "teams.chat.group": {"nb": "Start gruppechatten", "en": "Start the group chat"},
    "teams.chat.single": {"nb": "Start en chat", "en": "Start a chat"},
    "teams.report.preparing": {
        "nb": "Lager årsrapporten for {year} ({format}) … Lenken kommer her når den er klar.",
        "en": "Making the annual report for {year} ({format}) … The link comes here when it "
        "is ready.",
    },
    "teams.report.ready": {
        "nb": "Årsrapporten for {year} er klar ({format}, {size}). Lenken virker til {when}, "
        "og den som har den, kan laste ned rapporten: ikke del den videre.",
        "en": "The annual report for {year} is ready ({format}, {size}). The link works until "
        "{when}, and anyone who has it can download the report: do not pass it on.",
    },
    "teams.report.download": {"nb": "Last ned", "en": "Download"},
    "teams.report.failed": {
        "nb": "Jeg fikk ikke laget rapporten. Prøv igjen om litt, eller bruk "
        "`cohortbot report annual` på kommandolinjen.",
        "en": "I could not make the report. Try again in a moment, or use "
        "`cohortbot report annual` on the command line.",
    },
    "download.unknown.title": {"nb": "Fant ikke filen", "en": "File not found"},
    "download.unknown.text": {
        "nb": "Denne lenken kjenner jeg ikke. Be om en ny rapport i chatten med boten.",
        "en": "I don't know this link. Ask for a new report in the chat with the bot.",
    },
    "download.expired.title": {"nb": "Lenken er utløpt", "en": "The link has expired"},
    "download.expired.text": {
        "nb": "Nedlastingslenker virker i et døgn. Skriv *rapport* til boten for en ny.",
        "en": "Download links work for a day. Write *report* to the bot for a new one.",
    },
    "teams.roster.title": {"nb": "Medlemmer i teamet", "en": "Team members"},
    "teams.roster.summary": {
        "nb": "{matched} av {members} medlemmer i teamet er med i programmet.",
        "en": "{matched} of {members} team members are in the programme.",
    },
    "teams.roster.unknown": {
        "nb": "Ikke i programmet (etter e-post/UPN): {names}",
        "en": "Not in the programme (by email/UPN): {names}",
    },
    "teams.roster.not_found": {
        "nb": "I programmet, men ikke i dette teamet: {names}",
        "en": "In the programme but not in this team: {names}",
    },
    "teams.roster.failed": {
        "nb": "Jeg fikk ikke lest medlemslisten til teamet ({error}). Prøv igjen senere.",
        "en": "I could not read the team's member list ({error}). Try again later.",
    },
    "deliveries.held": {
        "nb": plural(
            "n",
            one=":envelope: *{n} utsendelse på {transport} venter*: {transport} er ikke satt opp "
            "(SMTP_URL). Den sendes når det er gjort.",
            other=":envelope: *{n} utsendelser på {transport} venter*: {transport} er ikke satt opp "
            "(SMTP_URL). De sendes når det er gjort.",
        ),
        "en": plural(
            "n",
            one=":envelope: *{n} {transport} delivery is held*: {transport} is not configured "
            "(SMTP_URL). It goes once it is.",
            other=":envelope: *{n} {transport} deliveries are held*: {transport} is not configured "
            "(SMTP_URL). They go once it is.",
        ),
    },
    # --- whole staff lists, a page at a time (bot/staff_lists.py) -----------------------
    # Counts stand after a label ("åpne: 3") so that no count needs a plural form.
    "lists.show_all": {"nb": "Vis hele lista ({n})", "en": "Show the whole list ({n})"},
    "lists.more": {
        "nb": "Viser {shown} av {total} – {n} til i hele lista.",
        "en": "Showing {shown} of {total} – {n} more in the whole list.",
    },
    "lists.page": {
        "nb": "Side {page} av {pages} · {first}–{last} av {total}",
        "en": "Page {page} of {pages} · {first}–{last} of {total}",
    },
    "lists.prev": {"nb": "← Forrige", "en": "← Previous"},
    "lists.close": {"nb": "Lukk", "en": "Close"},
    "lists.next": {"nb": "Neste →", "en": "Next →"},
    "lists.empty": {"nb": "Lista er tom.", "en": "The list is empty."},
    "lists.unknown": {
        "nb": "Den lista finnes ikke. Åpne den på nytt fra meldingen eller Hjem-fanen.",
        "en": "That list does not exist. Open it again from the message or the Home tab.",
    },
    "lists.risk.title": {"nb": "Risikosaker", "en": "Risk cases"},
    "risk.case.unknown": {
        "nb": "Det finnes ingen risikosak med nummer «{case}». Saksnumrene står i ukens "
        "oversikt og i `/cohort cases`.",
        "en": "There is no risk case number “{case}”. The case numbers are in the weekly "
        "digest and in `/cohort cases`.",
    },
    "risk.case.marked": {
        "nb": "Sak {case} er markert som fulgt opp av {name}. Resten av staben ser det også.",
        "en": "Case {case} is marked followed up by {name}. The rest of the staff see it too.",
    },
    "risk.case.usage": {
        "nb": "Skriv `/cohort followup SAK notat`, f.eks. `/cohort followup 12 Ringte henne`. "
        "Saksnumrene står i ukens oversikt og i `/cohort cases`.",
        "en": "Type `/cohort followup CASE note`, e.g. `/cohort followup 12 Called her`. "
        "The case numbers are in the weekly digest and in `/cohort cases`.",
    },
    "lists.risk.item": {"nb": "*Sak {case}*: *{name}*", "en": "*Case {case}*: *{name}*"},
    "lists.risk.followed_up_by": {
        "nb": ":white_check_mark: Fulgt opp av {name} {when}",
        "en": ":white_check_mark: Followed up by {name} on {when}",
    },
    "lists.risk.summary": {
        "nb": "Uke {week} – saker: {total} · åpne: {open} · fulgt opp: {done}",
        "en": "Week {week} – cases: {total} · open: {open} · followed up: {done}",
    },
    "lists.managers.title": {"nb": "Ledere å følge opp", "en": "Managers to follow up"},
    "lists.managers.summary": {
        "nb": "Eskalert: {escalated} · forfalt: {overdue} · venter (ikke forfalt): {pending} · "
        "ikke sendt ennå: {planned}",
        "en": "Escalated: {escalated} · overdue: {overdue} · waiting (not yet due): {pending} · "
        "not sent yet: {planned}",
    },
    "lists.managers.item": {
        "nb": "*{manager}* ({contact}) – {title} for {participant}",
        "en": "*{manager}* ({contact}) – {title} for {participant}",
    },
    "lists.managers.count": {
        "nb": plural(
            "managers",
            one="*{label}:* {n} ({managers} leder)",
            other="*{label}:* {n} ({managers} ledere)",
        ),
        "en": plural(
            "managers",
            one="*{label}:* {n} ({managers} manager)",
            other="*{label}:* {n} ({managers} managers)",
        ),
    },
    "lists.managers.label.escalated": {"nb": "Eskalert", "en": "Escalated"},
    "lists.managers.label.overdue": {"nb": "forfalt", "en": "overdue"},
    "lists.managers.label.pending": {"nb": "venter, ikke forfalt", "en": "waiting, not yet due"},
    "lists.managers.label.planned": {"nb": "ikke sendt ennå", "en": "not sent yet"},
    "lists.managers.counts_note": {
        "nb": "_Tallene er svar som mangler, én per deltaker og påminnelse; i parentes hvor mange "
        "ulike ledere det gjelder._",
        "en": "_The figures are missing answers, one per participant and nudge; in brackets how "
        "many different managers that is._",
    },
    "lists.managers.none": {
        "nb": "Alle ledere har svart på det som er sendt. Ingen å følge opp.",
        "en": "Every manager has answered what was sent. Nobody to follow up.",
    },
    "lists.managers.failed_title": {
        "nb": ":warning: *Meldinger til ledere som ikke kom fram: {n}*",
        "en": ":warning: *Messages to managers that did not get through: {n}*",
    },
    "lists.managers.failed_line": {
        "nb": "{manager} ({contact}): {transport} feilet – `{error}`",
        "en": "{manager} ({contact}): {transport} failed – `{error}`",
    },
    "lists.managers.state.escalated": {"nb": "Eskalert til staben", "en": "Escalated to staff"},
    "lists.managers.state.overdue": {"nb": "Forfalt", "en": "Overdue"},
    "lists.managers.state.pending": {"nb": "Venter på svar", "en": "Waiting for an answer"},
    "lists.managers.state.planned": {"nb": "Ikke sendt ennå", "en": "Not sent yet"},
    "lists.managers.goes": {"nb": "sendes {when}", "en": "goes {when}"},
    "lists.managers.due": {"nb": "svarfrist {when}", "en": "answer due {when}"},
    "lists.managers.escalated": {"nb": "eskalert {when}", "en": "escalated {when}"},
    "lists.managers.said_later": {
        "nb": "Svarte «ikke ennå».",
        "en": "Answered “not yet”.",
    },
    "lists.managers.failed": {
        "nb": ":warning: Sending med {transport} feilet: `{error}`",
        "en": ":warning: Sending by {transport} failed: `{error}`",
    },
    "lists.managers.held": {
        "nb": ":envelope: Venter: {transport} er ikke satt opp (SMTP_URL)",
        "en": ":envelope: Held: {transport} is not configured (SMTP_URL)",
    },
    "lists.assignments.title": {"nb": "Oppgavestatus", "en": "Assignment status"},
    "lists.assignments.item": {
        "nb": "*{klass}* – *{title}* ({when})\nLevert: {done} · åpne: {open} · forfalt: {overdue}",
        "en": "*{klass}* – *{title}* ({when})\nDone: {done} · open: {open} · overdue: {overdue}",
    },
    "lists.assignments.line": {
        "nb": "• {title} ({when}) – levert: {done} · åpne: {open} · forfalt: {overdue}",
        "en": "• {title} ({when}) – done: {done} · open: {open} · overdue: {overdue}",
    },
    "lists.assignments.more": {
        "nb": "Klasser ikke vist her: {classes}.",
        "en": "Classes not shown here: {classes}.",
    },
    "lists.assignments.summary": {
        "nb": "Klasser: {classes} · linjer: {rows}",
        "en": "Classes: {classes} · rows: {rows}",
    },
    "lists.failures.title": {"nb": "Feilede utsendelser", "en": "Failed deliveries"},
    "lists.failures.item": {
        "nb": "#{id} {who} – {kind} via {transport}: `{error}` ({when})",
        "en": "#{id} {who} – {kind} via {transport}: `{error}` ({when})",
    },
    "lists.failures.summary": {
        "nb": "Feilede utsendelser: {n}, nyeste først.",
        "en": "Failed deliveries: {n}, newest first.",
    },
    # --- privacy: the art. 13 notice, copies, withdrawals (bot/privacy.py, bot/rights.py) ---
    "privacy.notice.title": {
        "nb": "Slik behandler cohortbot opplysninger om deg",
        "en": "How cohortbot handles information about you",
    },
    "privacy.notice.text": {
        "nb": "*Hva vi lagrer:* navn, e-post, Slack-id, kommune, arbeidssted, stilling, kjønn og "
        "utdanning fra påmeldingen; kull, klasse og status; oppgaver du har gjort og "
        "refleksjoner du skriver; svar på navngitte pulser (anonyme pulser lagres uten kobling "
        "til deg); lederens svar på påminnelser om deg; kollegagrupper og matching; "
        "katalogprofilen din hvis du vil bli funnet; prosjekter du legger i arkivet, med filen, "
        "synlige bare for dem du velger (trekk dem tilbake med `/cohort archive mine`); "
        "meldinger boten har sendt deg; samtykkene "
        "dine; og hvem i staben som har sett opplysningene.\n"
        "*Hvorfor:* for å gjennomføre utdanningen, involvere nærmeste leder, forebygge frafall, "
        "drive ledernettverkene og levere årsrapporten til oppdragsgiver (bare tall for grupper "
        "på minst {min_group}).\n"
        "*Hvor lenge:* meldingstekster i {message_days} dager; refleksjoner og fritekstsvar til "
        "årsrapporten for året er levert ({report_due} året etter); alumniprofilen til du "
        "trekker samtykket eller etter {alumni_years} år uten aktivitet; loggen over hvem som "
        "har sett opplysninger i {audit_years} år.\n"
        "*Hvem ser det:* programstaben. Lederen din ser bare det som gjelder deres samarbeid om "
        "utdanningen; andre deltakere ser bare det du selv velger å vise eller dele.\n"
        "*Dine rettigheter:* skriv `/cohort mydata` for en kopi av alt som er lagret om deg, "
        "`/cohort withdraw alumni` eller `/cohort withdraw directory` for å trekke et samtykke, "
        "og be programstaben om retting eller sletting. Du kan også klage til Datatilsynet.",
        "en": "*What we store:* your name, email, Slack id, municipality, workplace, position, "
        "gender and education from enrolment; cohort, class and status; assignments you have "
        "done and reflections you write; answers to named pulses (anonymous pulses are stored "
        "without any link to you); your line manager's answers to nudges about you; peer groups "
        "and matching; your directory profile if you choose to be found; projects you add to "
        "the archive, with their file, seen only by those you choose (withdraw them with "
        "`/cohort archive mine`); messages the bot sent "
        "you; your consents; and which staff members looked at your data.\n"
        "*Why:* to run the programme, involve your line manager, prevent dropout, run the "
        "leader networks and deliver the annual report to the funder (figures only for groups "
        "of at least {min_group}).\n"
        "*For how long:* message texts for {message_days} days; reflections and free-text "
        "answers until that year's annual report is delivered ({report_due} the year after); "
        "your alumni profile until you withdraw consent or after {alumni_years} years without "
        "activity; the log of who looked at your data for {audit_years} years.\n"
        "*Who sees it:* programme staff. Your line manager sees only what concerns your work "
        "together on the programme; other participants see only what you choose to show or "
        "share.\n"
        "*Your rights:* type `/cohort mydata` for a copy of everything stored about you, "
        "`/cohort withdraw alumni` or `/cohort withdraw directory` to withdraw a consent, and "
        "ask the programme staff to correct or erase your data. You may also complain to "
        "Datatilsynet, the Norwegian data protection authority.",
    },
    "privacy.home.more": {
        "nb": "Skriv `/cohort privacy` for å få dette som melding.",
        "en": "Type `/cohort privacy` to get this as a message.",
    },
    "privacy.mydata.sent": {
        "nb": "Kopien av opplysningene dine er sendt til deg som fil i en direktemelding.",
        "en": "The copy of your data has been sent to you as a file in a direct message.",
    },
    "privacy.mydata.title": {"nb": "Dine opplysninger", "en": "Your data"},
    "privacy.export.usage": {
        "nb": "Skriv `/cohort export <e-post>` for å få alt som er lagret om en person.",
        "en": "Type `/cohort export <email>` to get everything stored about a person.",
    },
    "privacy.export.unknown": {
        "nb": "Jeg finner ingen med e-posten {email}.",
        "en": "I can't find anyone with the email {email}.",
    },
    "privacy.export.sent": {
        "nb": "Opplysningene om {email} er sendt til deg som fil. Uttaket er logget.",
        "en": "The data about {email} has been sent to you as a file. The export is logged.",
    },
    "privacy.withdraw.usage": {
        "nb": "Skriv `/cohort withdraw alumni` for å gå ut av alumninettverket, eller "
        "`/cohort withdraw directory` for å ikke lenger være synlig i katalogen.",
        "en": "Type `/cohort withdraw alumni` to leave the alumni network, or "
        "`/cohort withdraw directory` to stop being findable in the directory.",
    },
    "privacy.withdraw.alumni.done": {
        "nb": "Samtykket er trukket: du er tatt ut av alumnikanalene og får ikke flere "
        "alumnimeldinger.",
        "en": "Consent withdrawn: you have been taken out of the alumni channels and will get "
        "no more alumni messages.",
    },
    "privacy.withdraw.alumni.none": {
        "nb": "Du har ikke sagt ja til alumninettverket, så det er ingenting å trekke.",
        "en": "You have not said yes to the alumni network, so there is nothing to withdraw.",
    },
    "privacy.withdraw.directory.done": {
        "nb": "Samtykket er trukket: andre kan ikke lenger finne deg i katalogen.",
        "en": "Consent withdrawn: others can no longer find you in the directory.",
    },
    "privacy.withdraw.directory.none": {
        "nb": "Du er ikke synlig i katalogen, så det er ingenting å trekke.",
        "en": "You are not findable in the directory, so there is nothing to withdraw.",
    },
    # --- the Directorate as evaluator (bot/evaluator/) -----------------------------------
    "evaluator.mail.subject": {
        "nb": "Evalueringen av lederutdanningen",
        "en": "The evaluation of the leadership programme",
    },
    "evaluator.mail.text": {
        "nb": "Her er lenken til evalueringen: samlede resultater fra pulsmålingene og "
        "årsrapporten, der små grupper er skjult. Du kan også foreslå spørsmål.\n\n{url}\n\n"
        "Lenken virker til {until}. Ikke del den videre.",
        "en": "Here is the link to the evaluation: aggregated pulse results and the annual "
        "report, with small groups hidden. You can also propose questions.\n\n{url}\n\n"
        "The link works until {until}. Do not share it.",
    },
    "evaluator.error.kind": {
        "nb": "Velg en svartype: skala 1–5, 0–10 (NPS), valg eller fritekst.",
        "en": "Choose an answer type: scale 1–5, 0–10 (NPS), choice or free text.",
    },
    "evaluator.error.text": {
        "nb": "Spørsmålet må ha tekst, høyst {limit} tegn.",
        "en": "The question needs a text of at most {limit} characters.",
    },
    "evaluator.error.choices": {
        "nb": "Et valgspørsmål trenger 2 til {limit} ulike valg, ett per linje.",
        "en": "A choice question needs 2 to {limit} different choices, one per line.",
    },
    "evaluator.error.choice_length": {
        "nb": "Hvert valg kan ha høyst {limit} tegn.",
        "en": "Each choice can have at most {limit} characters.",
    },
    "evaluator.error.no_choices": {
        "nb": "Bare et valgspørsmål har valg.",
        "en": "Only a choice question has choices.",
    },
    "evaluator.error.pulse_closed": {
        "nb": "Den pulsmålingen er allerede sendt ut eller finnes ikke. Velg en annen.",
        "en": "That pulse has already gone out or does not exist. Choose another.",
    },
    "evaluator.error.no_session": {
        "nb": "Den samlingen finnes ikke eller er allerede holdt. Velg en annen.",
        "en": "That session does not exist or has already taken place. Choose another.",
    },
    "evaluator.error.no_proposal": {
        "nb": "Fant ikke forslag {id}. Ingenting er endret.",
        "en": "No proposal {id}. Nothing was changed.",
    },
    "evaluator.error.already_rejected": {
        "nb": "Forslag {id} er allerede avslått. Ingenting er endret.",
        "en": "Proposal {id} has already been rejected. Nothing was changed.",
    },
    "evaluator.error.already_accepted": {
        "nb": "Forslag {id} er allerede tatt inn. Ingenting er endret.",
        "en": "Proposal {id} has already been accepted. Nothing was changed.",
    },
    "evaluator.error.no_pulse": {
        "nb": "Ingen kommende pulsmåling kan ta spørsmålet (alle er sendt ut). Legg inn en ny "
        "pulsmåling i planen, eller velg en med --pulse. Ingenting er endret.",
        "en": "No upcoming pulse can take the question (all have gone out). Add a pulse to the "
        "plan, or choose one with --pulse. Nothing was changed.",
    },
    "evaluator.error.pulse_full": {
        "nb": "«{title}» har allerede {limit} spørsmål fra Helsedirektoratet. Velg en annen "
        "pulsmåling med --pulse. Ingenting er endret.",
        "en": "“{title}” already has {limit} questions from the Directorate. Choose another "
        "pulse with --pulse. Nothing was changed.",
    },
    "evaluator.error.reason": {
        "nb": "Skriv en begrunnelse (høyst {limit} tegn).",
        "en": "Give a reason (at most {limit} characters).",
    },
    "evaluator.page.title": {
        "nb": "Evaluering for Helsedirektoratet",
        "en": "Evaluation for the Directorate",
    },
    "evaluator.page.intro": {
        "nb": "Samlede resultater fra pulsmålinger som er avsluttet siden {since}. Grupper med "
        "færre enn {k} svar er skjult (*), og så mange andre at de skjulte ikke kan regnes ut. "
        "Fritekstsvar vises ikke. Siden viser aldri enkeltpersoner.",
        "en": "Aggregated results of pulses closed since {since}. Groups with fewer than {k} "
        "answers are hidden (*), and as many others as it takes so the hidden ones cannot be "
        "worked out. Free-text answers are not shown. The page never shows individuals.",
    },
    "evaluator.page.none": {
        "nb": "Ingen pulsmålinger er avsluttet i perioden ennå.",
        "en": "No pulse has closed in the period yet.",
    },
    "evaluator.page.pulse": {
        "nb": "{title} ({cohort}), {opens}–{closes}",
        "en": "{title} ({cohort}), {opens}–{closes}",
    },
    "evaluator.page.question": {
        "nb": "Spørsmål {number}: {text}",
        "en": "Question {number}: {text}",
    },
    "evaluator.page.text_question": {
        "nb": "Fritekst: svarene vises ikke.",
        "en": "Free text: the answers are not shown.",
    },
    "evaluator.page.reports": {"nb": "Årsrapporten", "en": "The annual report"},
    "evaluator.page.report_link": {"nb": "Årsrapport {year}", "en": "Annual report {year}"},
    "evaluator.page.propose": {"nb": "Foreslå et spørsmål", "en": "Propose a question"},
    "evaluator.page.propose.text": {"nb": "Spørsmålet", "en": "The question"},
    "evaluator.page.propose.kind": {"nb": "Svartype", "en": "Answer type"},
    "evaluator.page.propose.choices": {
        "nb": "Valg (bare for valgspørsmål, ett per linje)",
        "en": "Choices (choice questions only, one per line)",
    },
    "evaluator.page.propose.pulse": {"nb": "For pulsmåling", "en": "For pulse"},
    "evaluator.page.propose.any": {
        "nb": "Neste pulsmåling (staben velger)",
        "en": "The next pulse (staff choose)",
    },
    "evaluator.page.propose.session": {
        "nb": "Eller for samling (pulsmålingen etter den)",
        "en": "Or for session (the pulse after it)",
    },
    "evaluator.page.propose.any_session": {"nb": "Ingen bestemt", "en": "None in particular"},
    "evaluator.page.propose.submit": {"nb": "Send forslaget", "en": "Send the proposal"},
    "evaluator.page.proposed": {
        "nb": "Takk! Forslaget er sendt til programstaben.",
        "en": "Thank you! The proposal has gone to the programme staff.",
    },
    "evaluator.page.proposed_already": {
        "nb": "Dette forslaget er allerede sendt.",
        "en": "This proposal has already been sent.",
    },
    "evaluator.page.back": {"nb": "Tilbake til evalueringen", "en": "Back to the evaluation"},
    "evaluator.page.proposals": {"nb": "Forslag", "en": "Proposals"},
    "evaluator.page.more": {"nb": "… og {count} til.", "en": "… and {count} more."},
    "evaluator.kind.scale5": {"nb": "Skala 1–5", "en": "Scale 1–5"},
    "evaluator.kind.nps": {"nb": "0–10 (NPS)", "en": "0–10 (NPS)"},
    "evaluator.kind.choice": {"nb": "Valg", "en": "Choice"},
    "evaluator.kind.text": {"nb": "Fritekst", "en": "Free text"},
    "evaluator.state.proposed": {"nb": "Foreslått", "en": "Proposed"},
    "evaluator.state.accepted": {
        "nb": "Tatt inn i «{title}»",
        "en": "Added to “{title}”",
    },
    "evaluator.state.rejected": {"nb": "Avslått: {reason}", "en": "Rejected: {reason}"},
    "evaluator.page.tampered.title": {"nb": "Lenken virker ikke", "en": "This link does not work"},
    "evaluator.page.tampered.text": {
        "nb": "Lenken er ufullstendig eller endret. Be programstaben om en ny lenke.",
        "en": "The link is incomplete or has been changed. Ask the programme staff for a new link.",
    },
    "evaluator.page.expired.title": {"nb": "Lenken er utløpt", "en": "This link has expired"},
    "evaluator.page.expired.text": {
        "nb": "Lenken virker ikke lenger. Be programstaben om en ny lenke.",
        "en": "The link no longer works. Ask the programme staff for a new link.",
    },
    "evaluator.page.revoked.title": {"nb": "Ingen tilgang", "en": "No access"},
    "evaluator.page.revoked.text": {
        "nb": "Denne lenken gir ikke lenger tilgang til evalueringen. Kontakt programstaben.",
        "en": "This link no longer gives access to the evaluation. Contact the programme staff.",
    },
    "evaluator.page.stale.title": {"nb": "Skjemaet virker ikke", "en": "The form did not work"},
    "evaluator.page.stale.text": {
        "nb": "Ingenting er sendt. Åpne lenken på nytt og prøv igjen.",
        "en": "Nothing was sent. Open the link again and try once more.",
    },
    "evaluator.home.title": {
        "nb": "Spørsmål foreslått av Helsedirektoratet",
        "en": "Questions proposed by the Directorate",
    },
    "evaluator.home.empty": {
        "nb": "Ingen forslag venter.",
        "en": "No proposals are waiting.",
    },
    "evaluator.home.item": {
        "nb": "#{id} ({kind}): {text}\nGår inn i: {target}",
        "en": "#{id} ({kind}): {text}\nGoes into: {target}",
    },
    "evaluator.home.no_target": {
        "nb": "ingen kommende pulsmåling",
        "en": "no upcoming pulse",
    },
    "evaluator.home.more": {
        "nb": "… og {count} til (`cohortbot evaluator proposals`).",
        "en": "… and {count} more (`cohortbot evaluator proposals`).",
    },
    "evaluator.home.accept": {"nb": "Ta inn", "en": "Accept"},
    "evaluator.home.reject": {"nb": "Avslå", "en": "Reject"},
    "evaluator.home.reject.title": {"nb": "Avslå forslaget", "en": "Reject the proposal"},
    "evaluator.home.reject.reason": {
        "nb": "Begrunnelse (vises for Helsedirektoratet)",
        "en": "Reason (shown to the Directorate)",
    },
    "evaluator.accepted": {
        "nb": "Forslag {id} er tatt inn som spørsmål {number} i «{title}».",
        "en": "Proposal {id} was added as question {number} to “{title}”.",
    },
    "evaluator.accepted_already": {
        "nb": "Forslag {id} var allerede tatt inn (spørsmål {number} i «{title}»).",
        "en": "Proposal {id} had already been added (question {number} of “{title}”).",
    },
    "evaluator.rejected": {
        "nb": "Forslag {id} er avslått.",
        "en": "Proposal {id} was rejected.",
    },
    "evaluator.results.title": {
        "nb": "Evaluering: avsluttede pulsmålinger",
        "en": "Evaluation: closed pulses",
    },
    "evaluator.results.pulse": {
        "nb": "{title} ({cohort}): {answered} av {invited} svarte",
        "en": "{title} ({cohort}): {answered} of {invited} answered",
    },
    "evaluator.results.link": {
        "nb": "Tabellene og årsrapporten finner du på evalueringssiden (be staben om lenke).",
        "en": "The tables and the annual report are on the evaluation page (ask staff for a link).",
    },
    "report.evaluations.directorate": {
        "nb": " (spørsmål fra Helsedirektoratet)",
        "en": " (question from the Directorate)",
    },
    # --- the digital archive (bot/archive) ------------------------------------------------
    "archive.error.missing": {
        "nb": "Feltet «{field}» mangler. Ingenting er lagret.",
        "en": "The field “{field}” is missing. Nothing was saved.",
    },
    "archive.error.too_long": {
        "nb": "Feltet «{field}» er for langt: høyst {n} tegn. Ingenting er lagret.",
        "en": "The field “{field}” is too long: {n} characters at most. Nothing was saved.",
    },
    "archive.error.visibility": {
        "nb": "Synlighet må være nobody, cohort eller all, ikke «{value}». Ingenting er lagret.",
        "en": "Visibility must be nobody, cohort or all, not “{value}”. Nothing was saved.",
    },
    "archive.error.url": {
        "nb": "Lenken må være en hel http- eller https-adresse (høyst 1000 tegn). "
        "Ingenting er lagret.",
        "en": "The link must be a full http or https address (1000 characters at most). "
        "Nothing was saved.",
    },
    "archive.error.keywords": {
        "nb": "Høyst {n} stikkord. Ingenting er lagret.",
        "en": "{n} keywords at most. Nothing was saved.",
    },
    "archive.error.keyword_long": {
        "nb": "Et stikkord kan ha høyst {n} tegn. Ingenting er lagret.",
        "en": "A keyword can have {n} characters at most. Nothing was saved.",
    },
    "archive.error.file_and_url": {
        "nb": "Gi enten en fil eller en lenke, ikke begge. Ingenting er lagret.",
        "en": "Give either a file or a link, not both. Nothing was saved.",
    },
    "archive.error.too_big": {
        "nb": "Filen er for stor: høyst {mib} MiB. Ingenting er lagret.",
        "en": "The file is too large: {mib} MiB at most. Nothing was saved.",
    },
    "archive.error.empty_file": {
        "nb": "Filen er tom. Ingenting er lagret.",
        "en": "The file is empty. Nothing was saved.",
    },
    "archive.error.no_file": {
        "nb": "Finner ikke filen {name}. Ingenting er lagret.",
        "en": "Cannot find the file {name}. Nothing was saved.",
    },
    "archive.error.unreadable": {
        "nb": "Filen ser ut som {kind}, men kan ikke leses (skadet eller ufullstendig). "
        "Ingenting er lagret.",
        "en": "The file looks like a {kind} but cannot be read (damaged or incomplete). "
        "Nothing was saved.",
    },
    "archive.error.unknown_owner": {
        "nb": "Jeg finner ingen med e-posten {email}. Ingenting er lagret.",
        "en": "I can't find anyone with the email {email}. Nothing was saved.",
    },
    "archive.error.no_cohort_owner": {
        "nb": "Personen er ikke tatt opp i noe kull, så «cohort» kan ikke vise arbeidet til "
        "noen. Velg nobody eller all. Ingenting er lagret.",
        "en": "The person is not admitted to any cohort, so “cohort” would show the work to "
        "nobody. Choose nobody or all. Nothing was saved.",
    },
    "archive.error.no_cohort": {
        "nb": "Det finnes ikke noe pågående kull å vise materialet til. Velg nobody eller all. "
        "Ingenting er lagret.",
        "en": "There is no current cohort to show the material to. Choose nobody or all. "
        "Nothing was saved.",
    },
    "archive.error.not_student": {
        "nb": "Arkivet er for nåværende og tidligere studenter. Du står ikke i noe kull, så du "
        "kan ikke legge til prosjekter.",
        "en": "The archive is for current and former students. You are not in any cohort, so "
        "you cannot add projects.",
    },
    "archive.error.not_allowed": {
        "nb": "Bare programstaben kan legge til på vegne av andre.",
        "en": "Only programme staff can add on behalf of others.",
    },
    "archive.error.no_item": {
        "nb": "Finner ikke arkivoppføring {id} blant dine.",
        "en": "Cannot find archive item {id} among yours.",
    },
    "archive.error.unknown_searcher": {
        "nb": "Jeg finner ingen med e-posten {email}.",
        "en": "I can't find anyone with the email {email}.",
    },
    "archive.visibility.nobody": {
        "nb": "bare meg (og programstaben)",
        "en": "only me (and programme staff)",
    },
    "archive.visibility.cohort": {"nb": "mitt kull", "en": "my cohort"},
    "archive.visibility.all": {
        "nb": "alle nåværende og tidligere studenter",
        "en": "all current and former students",
    },
    "archive.search.title": {"nb": "Arkivet: {words}", "en": "The archive: {words}"},
    "archive.browse.title": {"nb": "Arkivet", "en": "The archive"},
    "archive.search.count": {
        "nb": plural(
            "total",
            one="1 treff du kan se.",
            other="{total} treff du kan se, viser {first}–{last}.",
        ),
        "en": plural(
            "total",
            one="1 result you may see.",
            other="{total} results you may see, showing {first}–{last}.",
        ),
    },
    "archive.search.more": {
        "nb": plural(
            "n",
            one="… og 1 til. Skriv `/cohort archive {words} side {page}` for neste side.",
            other="… og {n} til. Skriv `/cohort archive {words} side {page}` for neste side.",
        ),
        "en": plural(
            "n",
            one="… and 1 more. Type `/cohort archive {words} page {page}` for the next page.",
            other="… and {n} more. Type `/cohort archive {words} page {page}` for the next page.",
        ),
    },
    "archive.search.none": {
        "nb": "Ingen treff du kan se for «{words}».",
        "en": "No results you may see for “{words}”.",
    },
    "archive.search.empty": {
        "nb": "Arkivet har ingenting du kan se ennå.",
        "en": "The archive has nothing you may see yet.",
    },
    "archive.hit.by": {"nb": "av {name}", "en": "by {name}"},
    "archive.hit.by_hidden": {
        "nb": "av {name} (navnet vises ikke for andre)",
        "en": "by {name} (name not shown to others)",
    },
    "archive.hit.material": {"nb": "fra programstaben", "en": "from the programme staff"},
    "archive.hit.anonymous": {"nb": "navn ikke vist", "en": "name not shown"},
    "archive.hit.keywords": {"nb": "Stikkord: {keywords}", "en": "Keywords: {keywords}"},
    "archive.hit.link": {"nb": "Lenke: {url}", "en": "Link: {url}"},
    "archive.button.download": {"nb": "Last ned", "en": "Download"},
    "archive.button.change": {"nb": "Endre", "en": "Change"},
    "archive.button.withdraw": {"nb": "Trekk tilbake", "en": "Withdraw"},
    "archive.button.add": {"nb": "Legg til i arkivet", "en": "Add to the archive"},
    "archive.download.ready": {
        "nb": "Lenken til «{title}» virker i {minutes} minutter, bare for deg: {url}",
        "en": "The link to “{title}” works for {minutes} minutes, for you only: {url}",
    },
    "archive.download.gone": {
        "nb": "Filen finnes ikke lenger, eller du har ikke lenger tilgang til den.",
        "en": "The file no longer exists, or you no longer have access to it.",
    },
    "archive.download.expired": {
        "nb": "Lenken er utløpt. Søk opp oppføringen igjen for en ny lenke.",
        "en": "The link has expired. Find the item again for a new link.",
    },
    "archive.download.tampered": {
        "nb": "Lenken er ugyldig.",
        "en": "The link is not valid.",
    },
    "archive.mine.title": {"nb": "Dine bidrag i arkivet", "en": "Your items in the archive"},
    "archive.mine.none": {
        "nb": "Du har ikke lagt noe i arkivet. Skriv `/cohort archive add` for å legge til "
        "prosjektet ditt.",
        "en": "You have not added anything to the archive. Type `/cohort archive add` to add "
        "your project.",
    },
    "archive.mine.item": {
        "nb": "*{title}*\nSynlig for: {visibility}. Navnet ditt vises: {shown}.",
        "en": "*{title}*\nVisible to: {visibility}. Your name is shown: {shown}.",
    },
    "archive.mine.more": {
        "nb": plural("n", one="… og 1 til.", other="… og {n} til."),
        "en": plural("n", one="… and 1 more.", other="… and {n} more."),
    },
    "archive.withdraw.confirm": {
        "nb": "«{title}» og filen slettes for godt. Vil du trekke det tilbake?",
        "en": "“{title}” and its file will be deleted for good. Withdraw it?",
    },
    "archive.file.failed": {
        "nb": "Jeg fikk ikke hentet filen fra Slack. Ingenting er lagret; prøv igjen.",
        "en": "I could not fetch the file from Slack. Nothing was saved; try again.",
    },
    "archive.yes": {"nb": "ja", "en": "yes"},
    "archive.no": {"nb": "nei", "en": "no"},
    "archive.added": {
        "nb": "«{title}» er lagt i arkivet (nr. {id}), synlig for: {visibility}. Du kan endre "
        "eller trekke det tilbake med `/cohort archive mine`.",
        "en": "“{title}” is in the archive (no. {id}), visible to: {visibility}. You can "
        "change or withdraw it with `/cohort archive mine`.",
    },
    "archive.changed": {
        "nb": "«{title}» er endret, synlig for: {visibility}.",
        "en": "“{title}” was changed, visible to: {visibility}.",
    },
    "archive.withdrawn": {
        "nb": "«{title}» er trukket tilbake: oppføringen og filen er slettet.",
        "en": "“{title}” was withdrawn: the item and its file are deleted.",
    },
    "archive.modal.title": {"nb": "Legg til i arkivet", "en": "Add to the archive"},
    "archive.modal.change_title": {"nb": "Endre i arkivet", "en": "Change in the archive"},
    "archive.modal.submit": {"nb": "Lagre", "en": "Save"},
    "archive.modal.cancel": {"nb": "Avbryt", "en": "Cancel"},
    "archive.modal.intro": {
        "nb": "Del prosjektoppgaven din eller annet materiale med andre studenter. Du velger "
        "selv hvem som ser det og om navnet ditt vises, og kan endre eller trekke det "
        "tilbake når som helst. Skjuler du navnet, står det likevel der du har skrevet det "
        "i selve filen (for eksempel på forsiden).",
        "en": "Share your project or other material with other students. You choose who sees "
        "it and whether your name is shown, and can change or withdraw it at any time. If you "
        "hide your name, it is still wherever you wrote it in the file itself (the cover page, "
        "say).",
    },
    "archive.modal.intro_staff": {
        "nb": "Legg til en forelesning eller annet materiale fra programstaben.",
        "en": "Add a lecture or other material from the programme staff.",
    },
    "archive.field.title": {"nb": "Tittel", "en": "Title"},
    "archive.field.summary": {"nb": "Sammendrag", "en": "Summary"},
    "archive.field.keywords": {
        "nb": "Stikkord (skilt med komma)",
        "en": "Keywords (separated by commas)",
    },
    "archive.field.file": {"nb": "Fil (PDF eller Word)", "en": "File (PDF or Word)"},
    "archive.field.url": {"nb": "… eller en lenke", "en": "… or a link"},
    "archive.field.visibility": {"nb": "Hvem kan se det?", "en": "Who can see it?"},
    "archive.field.show_name": {"nb": "Navnet ditt", "en": "Your name"},
    "archive.field.show_name_option": {
        "nb": "Vis navnet mitt sammen med arbeidet",
        "en": "Show my name with the work",
    },
    "archive.usage": {
        "nb": "• `/cohort archive <ord>` – søk i arkivet\n"
        "• `/cohort archive add` – legg til prosjektet ditt\n"
        "• `/cohort archive mine` – endre eller trekk tilbake det du har lagt til",
        "en": "• `/cohort archive <words>` – search the archive\n"
        "• `/cohort archive add` – add your project\n"
        "• `/cohort archive mine` – change or withdraw what you have added",
    },
    # --- dates ---------------------------------------------------------------------------
    "date.at": {"nb": "kl.", "en": "at"},
}


def unescape(text: str) -> str:
    """Neutral text as plain text (people's words as written); the same as `bot.text.plain`."""
    return plain(text)


def esc(text: str) -> Markup:
    """Mark `text` as people's words (names, titles, answers): adapters never read it as markup."""
    return words(text)


def normalise_locale(locale: str | None) -> str:
    """Map Slack/import locales ("en-US", "nb_NO", "no", "nn") onto the catalogue's."""
    if not locale:
        return DEFAULT_LOCALE
    code = locale.replace("_", "-").split("-")[0].lower()
    return "en" if code == "en" else DEFAULT_LOCALE


def t(key: str, locale: str | None = None, /, **values: object) -> str:
    """The text for `key` in the person's language, with `values` filled in, as neutral text.

    String values are people's own words (names, titles, answers) and are marked as such
    (`bot.text.words`), so each adapter shows them as written: a name like "<!channel>" can't
    ping a channel in Slack nor inject HTML in email. Values that already are neutral text
    (`Markup`: another `t()`, `user()`/`channel()` references) are kept as they are.
    """
    entry = CATALOGUE[key]
    lang = normalise_locale(locale)
    text = entry.get(lang) or entry[DEFAULT_LOCALE]
    if isinstance(text, Plural):
        text = text.select(lang if lang in entry else DEFAULT_LOCALE, values)
    if not values:
        return Markup(text)
    return Markup(
        text.format(**{k: words(v) if isinstance(v, str) else v for k, v in values.items()})
    )


def t_fill(key: str, locale: str | None = None, /) -> Callable[..., str]:
    """`t(key, locale, **values)` as a function of the values: the entry and the language are
    looked up once, for a text filled in thousands of times (a wave's answer buttons). Values
    are marked as `t` marks them."""
    entry = CATALOGUE[key]
    lang = normalise_locale(locale)
    text = entry.get(lang) or entry[DEFAULT_LOCALE]
    if isinstance(text, Plural):
        return lambda **values: t(key, locale, **values)
    template = text

    def fill(**values: object) -> str:
        return Markup(
            template.format(**{k: words(v) if isinstance(v, str) else v for k, v in values.items()})
        )

    return fill


def _babel_locale(locale: str | None) -> str:
    return "en_GB" if normalise_locale(locale) == "en" else "nb_NO"


def format_when(
    moment: datetime, locale: str | None = None, tz: ZoneInfo | str | None = None
) -> str:
    """ "tirsdag 3. mars kl. 09.00" / "Tuesday 3 March at 09:00", in Oslo or the given zone."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or OSLO)
    return _format_when(moment, normalise_locale(locale), zone)


@lru_cache(maxsize=4096)
def _format_when(moment: datetime, lang: str, zone: ZoneInfo) -> str:
    # The planner says the same few deadlines to thousands of managers: Babel once per time.
    local = moment.astimezone(zone)
    if lang == "en":
        return _babel_datetime(local, "EEEE d MMMM 'at' HH:mm", tzinfo=zone, locale="en_GB")
    return _babel_datetime(local, "EEEE d. MMMM 'kl.' HH.mm", tzinfo=zone, locale="nb_NO")


def format_day(day: date, locale: str | None = None) -> str:
    """ "tirsdag 3. mars" / "Tuesday 3 March"."""
    if normalise_locale(locale) == "en":
        return _babel_date(day, "EEEE d MMMM", locale="en_GB")
    return _babel_date(day, "EEEE d. MMMM", locale="nb_NO")
