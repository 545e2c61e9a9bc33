"""Leader networks: channels per cohort and class, peer groups, peer matching, alumni, directory.

Channel work (create, invite, kick, archive) is decided here and written to the outbox as steps
(`bot.steps`), and messages through `bot.delivery.schedule`, both in the caller's transaction:
nothing reaches Slack before the commit, and the outbox does it after. Group DMs for intros are
opened by the outbox when the intro goes (`bot.notifier.group_target`). Every function takes
the session and `now`; callers commit.

One module per sub-domain: `channels` (cohort and class channels, membership), `peer_groups`,
`rounds` (peer matching rounds and each person's matching settings), `checkins`, `alumni`,
`directory`, `prompts` (discussion prompts), `activity` (figures for the report), `lookups`
(for staff commands and App Home); `shared` holds the constants, the port and the helpers
they share. Import from `bot.networks`; the names below are its public surface.

Policies where the issue left room (documented in README/.env.example):
- Withdrawn participants stay in channels by default (`COHORTBOT_WITHDRAWN_POLICY=keep`) but
  their memberships are closed (`left_at`), so they are no longer matched or messaged.
- The cohort network carries peer matching (so pairs can span classes and cities); class
  networks carry no matching. Alumni are matched in the national alumni network.
- An intro counts as ignored when nobody in the group answered a check-in; three ignored in a
  row stop matching (ghosted) until the person opts back in. Any answer resets the count.
- Alumni without an explicit yes are not kept in alumni messaging.
"""

from bot.networks.activity import NetworkActivity, network_activity
from bot.networks.alumni import (
    alumni_not_in_network,
    answer_consent_button,
    complete_cohort,
    complete_due_cohorts,
    record_alumni_consent,
    withdraw_alumni_consent,
)
from bot.networks.channels import JoinWelcome, SyncReport, sync_cohort_channels, welcome_for_join
from bot.networks.checkins import answer_checkin_button, record_checkin
from bot.networks.directory import (
    PROFILE_FIELDS,
    SEARCH_FIELDS,
    Profile,
    findable_profile,
    get_profile,
    own_person,
    search_directory,
    update_profile,
)
from bot.networks.lookups import (
    find_cohort,
    my_networks,
    person_names,
    resolve_class,
    resolve_matching_network,
)
from bot.networks.peer_groups import PeerGroup, form_class_peer_groups
from bot.networks.prompts import first_tuesday, schedule_alumni_prompts, schedule_prompt
from bot.networks.rounds import (
    RoundResult,
    block_person,
    close_round,
    networks_due_for_matching,
    pause_matching,
    run_matching_round,
    set_matching,
)
from bot.networks.shared import (
    ACTION_CHECKIN,
    ACTION_CONSENT,
    ACTION_OPT_IN,
    ACTION_OPT_OUT,
    ACTION_START_DM,
    ACTIVE_STATUSES,
    CHECKIN_ANSWERS,
    IGNORED_LIMIT,
    MAX_CHANNEL_NAME,
    PROMPT_COUNT,
    ChannelAdmin,
    InvalidRequest,
    alumni_channel_name,
    class_channel_name,
    cohort_channel_name,
    peer_group_channel_name,
    slack_name,
    split_answer_value,
)

__all__ = [
    "ACTION_CHECKIN",
    "ACTION_CONSENT",
    "ACTION_OPT_IN",
    "ACTION_OPT_OUT",
    "ACTION_START_DM",
    "ACTIVE_STATUSES",
    "CHECKIN_ANSWERS",
    "IGNORED_LIMIT",
    "MAX_CHANNEL_NAME",
    "PROFILE_FIELDS",
    "PROMPT_COUNT",
    "SEARCH_FIELDS",
    "ChannelAdmin",
    "InvalidRequest",
    "JoinWelcome",
    "NetworkActivity",
    "PeerGroup",
    "Profile",
    "RoundResult",
    "SyncReport",
    "alumni_channel_name",
    "alumni_not_in_network",
    "answer_checkin_button",
    "answer_consent_button",
    "block_person",
    "class_channel_name",
    "close_round",
    "cohort_channel_name",
    "complete_cohort",
    "complete_due_cohorts",
    "find_cohort",
    "findable_profile",
    "first_tuesday",
    "form_class_peer_groups",
    "get_profile",
    "my_networks",
    "network_activity",
    "networks_due_for_matching",
    "own_person",
    "pause_matching",
    "peer_group_channel_name",
    "person_names",
    "record_alumni_consent",
    "record_checkin",
    "resolve_class",
    "resolve_matching_network",
    "run_matching_round",
    "schedule_alumni_prompts",
    "schedule_prompt",
    "search_directory",
    "set_matching",
    "slack_name",
    "split_answer_value",
    "sync_cohort_channels",
    "update_profile",
    "welcome_for_join",
    "withdraw_alumni_consent",
]
