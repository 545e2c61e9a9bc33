"""Network and announcement builders: structure, limits, unique action ids."""

from __future__ import annotations

import json
from datetime import date

from bot.broadcasts import (
    Audience,
    AudienceChoice,
    AudienceChoices,
    DeliveryReport,
    Preview,
    Recipient,
)
from bot.networks import ACTION_OPT_IN, ACTION_START_DM, Profile
from emulator.blocks import validate_view
from handlers.slack.blocks.networks import (
    ACTION_PAUSE,
    VIEW_ANNOUNCE,
    VIEW_ANNOUNCE_CONFIRM,
    build_announce_confirm,
    build_announce_modal,
    build_delivery_report,
    build_directory_results,
    build_groups_summary,
    build_home_networks,
    build_profile_modal,
)
from storage.models import Network, NetworkMembership, Person


def profile(i: int, slack: str | None = "U1") -> Profile:
    return Profile(
        i,
        f"Leder {i}",
        slack,
        "Bergen",
        "Vestland",
        "Sykehjem",
        "Enhetsleder",
        "Heltidskultur",
        "turnus",
        None,
    )


def action_ids_unique(blocks: list[dict]) -> bool:
    for block in blocks:
        ids = [e.get("action_id") for e in block.get("elements", []) if "action_id" in e]
        if len(ids) != len(set(ids)):
            return False
    return True


def test_directory_results_have_a_dm_button_and_stay_under_50_blocks() -> None:
    blocks = build_directory_results([profile(i) for i in range(60)], "bergen", "nb")
    assert len(blocks) <= 50
    first = blocks[1]
    assert "Leder 0" in first["text"]["text"] and "Heltidskultur" in first["text"]["text"]
    assert first["accessory"]["action_id"] == ACTION_START_DM
    assert first["accessory"]["value"] == "U1"
    no_slack = build_directory_results([profile(1, None)], "x", "en")
    assert "accessory" not in no_slack[1]
    empty = build_directory_results([], "ingen", "en")
    assert "ingen" in empty[0]["text"]["text"]


def test_home_networks_controls_by_state() -> None:
    person = Person(id=1, email="a@x.no", name="A", findable=True)
    cohort = Network(
        id=3, kind="cohort", key="cohort:x", name="Kull", match_every_weeks=2, slack_channel_id="C1"
    )
    klass = Network(id=4, kind="class", key="class:x", name="Bergen", slack_channel_id="C2")
    active = NetworkMembership(network_id=3, person_id=1)
    rows = [(cohort, active), (klass, NetworkMembership(network_id=4, person_id=1))]
    blocks = build_home_networks(rows, person, date(2026, 3, 2), "nb")
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1 and action_ids_unique(actions)
    kinds = [e["type"] for e in actions[0]["elements"]]
    assert kinds == ["datepicker", "button"]
    assert actions[0]["elements"][0]["action_id"] == f"{ACTION_PAUSE}:3"
    assert "finne deg" in blocks[-1]["text"]["text"]

    ghosted = NetworkMembership(network_id=3, person_id=1, ghosted=True)
    blocks = build_home_networks([(cohort, ghosted)], person, date(2026, 3, 2), "en")
    assert "stopped" in blocks[1]["text"]["text"]
    button = blocks[2]["elements"][0]
    assert button["action_id"] == f"{ACTION_OPT_IN}:3" and button["value"] == "3"
    paused = NetworkMembership(network_id=3, person_id=1, paused_until=date(2026, 4, 1))
    blocks = build_home_networks([(cohort, paused)], person, date(2026, 3, 2), "en")
    assert "paused until Wednesday 1 April" in blocks[1]["text"]["text"]


def test_profile_modal_prefills_and_respects_limits() -> None:
    person = Person(id=1, email="a@x.no", name="A", findable=True, topics="turnus", bio="x" * 5000)
    view = build_profile_modal(person, "nb")
    assert len(view["title"]["text"]) <= 24
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["findable"]["element"]["initial_options"][0]["value"] == "yes"
    # Every input has a real label, or "(optional)" stands alone above the checkbox.
    assert blocks["findable"]["label"]["text"] == "Synlighet i katalogen"
    assert all(b["label"]["text"].strip() for b in view["blocks"] if b["type"] == "input")
    assert blocks["topics"]["element"]["initial_value"] == "turnus"
    assert len(blocks["bio"]["element"]["initial_value"]) <= blocks["bio"]["element"]["max_length"]


def choices(**extra: list[str]) -> AudienceChoices:
    return AudienceChoices(
        [
            AudienceChoice("programme", "programme"),
            AudienceChoice("cohort:2026h", "cohort", "Kull 2026 høst"),
            AudienceChoice("class:2026h/bergen", "class", "Kull 2026 høst", "Bergen"),
            AudienceChoice("peer_groups:2026h", "peer_groups", "Kull 2026 høst"),
            AudienceChoice("line_managers:2026h", "line_managers", "Kull 2026 høst"),
            AudienceChoice("alumni", "alumni"),
            AudienceChoice("alumni:2025v", "alumni", "Kull 2025 vår"),
        ],
        **extra,
    )


def test_announce_modal_offers_audiences_and_filters_as_options() -> None:
    modal = build_announce_modal(
        "nb", choices(counties=["Troms", "Vestland"], roles=["Enhetsleder"]), "Europe/Oslo"
    )
    assert modal["callback_id"] == VIEW_ANNOUNCE
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    # No service areas in the data: no select without options (Slack refuses those).
    assert list(blocks) == [
        "audience",
        "counties",
        "roles",
        "text",
        "mode",
        "when_date",
        "when_time",
        "urgent",
    ]
    audience = blocks["audience"]
    assert audience["optional"] is False and audience["element"]["type"] == "static_select"
    assert [(o["text"]["text"], o["value"]) for o in audience["element"]["options"]] == [
        ("Alle deltakere i programmet", "programme"),
        ("Kull 2026 høst", "cohort:2026h"),
        ("Kull 2026 høst – Bergen", "class:2026h/bergen"),
        ("Kollegagruppene i Kull 2026 høst", "peer_groups:2026h"),
        ("Nærmeste ledere – Kull 2026 høst", "line_managers:2026h"),
        ("Alumni", "alumni"),
        ("Alumni – Kull 2025 vår", "alumni:2025v"),
    ]
    for option in audience["element"]["options"]:
        Audience.parse(option["value"])  # every value is a spec the domain reads
    counties = blocks["counties"]
    assert counties["optional"] is True and counties["element"]["type"] == "multi_static_select"
    assert [o["value"] for o in counties["element"]["options"]] == ["Troms", "Vestland"]
    assert blocks["text"]["element"]["multiline"] is True
    assert blocks["text"]["element"]["max_length"] == 3000
    assert blocks["mode"]["element"]["initial_option"]["value"] == "dm"
    assert blocks["when_date"]["element"]["type"] == "datepicker"
    assert blocks["when_time"]["element"] == {
        "action_id": "value",
        "type": "timepicker",
        "timezone": "Europe/Oslo",
    }
    assert blocks["urgent"]["element"]["options"][0]["value"] == "urgent"
    assert all(b["element"]["action_id"] == "value" for b in modal["blocks"])
    assert all(len(modal[k]["text"]) <= 24 for k in ("title", "submit", "close"))
    english = build_announce_modal("en", choices())
    assert english["blocks"][0]["element"]["options"][0]["text"]["text"] == (
        "All participants in the programme"
    )
    assert english["title"]["text"] == "New announcement"


def test_announce_modal_stays_inside_slack_limits() -> None:
    many = AudienceChoices(
        [
            AudienceChoice(f"class:2026h/k{i}", "class", "Kull 2026 høst " + "x" * 60, f"K{i}")
            for i in range(150)
        ],
        counties=[f"Fylke {i}" for i in range(120)],
        service_areas=["Tjeneste " + "y" * 100],
        roles=[f"Stilling {i}" for i in range(101)],
    )
    modal = build_announce_modal("nb", many)
    assert validate_view(modal) == []
    for block in modal["blocks"]:
        options = block["element"].get("options", [])
        assert len(options) <= 100
        assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)


def test_announce_confirmation() -> None:
    audience = Audience.parse("line_managers:2026h", counties=("Vestland",))
    preview = Preview(
        [
            Recipient("slack", "U1", "line_manager", "Mona"),
            Recipient("email", "n@x.no", "line_manager", "Nils"),
        ],
        ["Ola"],
    )
    view = build_announce_confirm(
        audience=audience,
        text="Hei *alle*",
        mode="dm",
        urgent=True,
        send_at=None,
        preview=preview,
        locale="nb",
    )
    assert view["callback_id"] == VIEW_ANNOUNCE_CONFIRM
    assert (
        "*2*" in view["blocks"][0]["text"]["text"]
        and "1 email, 1 slack" in view["blocks"][0]["text"]["text"]
    )
    meta = json.loads(view["private_metadata"])
    assert meta["audience"]["counties"] == ["Vestland"] and meta["urgent"] is True
    assert view["blocks"][-1]["text"]["text"] == "Hei *alle*"
    long = build_announce_confirm(
        audience=audience,
        text="æ" * 2999,
        mode="dm",
        urgent=False,
        send_at=None,
        preview=preview,
        locale="nb",
    )
    assert len(long["private_metadata"]) <= 3000 and "text" not in json.loads(
        long["private_metadata"]
    )


def test_report_and_group_summaries() -> None:
    report = DeliveryReport(7, 3, {"sent": 2, "failed": 1}, [("Mona", "slack", "user_not_found")])
    blocks = build_delivery_report(report, "en")
    assert "2 sent, 1 failed, 0 waiting" in blocks[0]["text"]["text"]
    assert "user_not_found" in blocks[1]["text"]["text"]
    summary = build_groups_summary("Bergen", [("C1", ["A", "B"]), ("C2", ["C", "D"])], "nb")
    assert (
        "2 kollegagrupper" in summary[0]["text"]["text"]
        and "<#C1>: A, B" in summary[1]["text"]["text"]
    )


def test_home_offers_the_alumni_network_to_those_who_did_not_say_yes() -> None:
    person = Person(id=1, email="a@x.no", name="A")
    blocks = build_home_networks([], person, date(2026, 3, 2), "en", [(5, "Kull 2025")])
    invite = blocks[2]
    assert "Kull 2025" in invite["text"]["text"]
    assert invite["accessory"]["action_id"] == "alumni_consent:yes"
    assert invite["accessory"]["value"] == "5:yes"
