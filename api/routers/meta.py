"""The API's vocabulary: every enum and choice a client shows, with its label — statuses, channels, priorities,
the agents (what each watches for, for whom, whether it may send without review) and the settings every agent has
(label, kind, limits, choices), derived from the models that define them. The web app builds its filters and the
agents' forms from this, so a new agent or setting appears there without editing it."""

from fastapi import APIRouter

from agents.registry import ROSTER
from api.deps import CurrentOperator
from api.schemas import AgentKind, Choice, InboxOrder, SettingField, Vocabulary
from domain.channels import LABELS, PROPOSABLE
from models.messages import ActionStatus, AgentCategory, Channel, Priority, TicketStatus
from models.tables import AgentSettings

router = APIRouter(prefix="/api/meta", tags=["meta"])


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize()


KINDS = {"boolean": "switch", "integer": "number", "string": "text"}


def _settings() -> list[SettingField]:
    """Every agent setting as its JSON Schema (the OpenAPI document's) describes it; an enum offers its values, the
    default channel those an agent may propose on."""
    schema = AgentSettings.model_json_schema()
    fields = []
    for name, field in schema["properties"].items():
        choices = []
        if "$ref" in field:
            enum = field["$ref"].rpartition("/")[2]
            values = PROPOSABLE if enum == Channel.__name__ else schema["$defs"][enum]["enum"]
            choices = [Choice(value=value, label=LABELS.get(value) or _label(value)) for value in values]
        fields.append(SettingField(
            name=name, label=field["title"], kind=KINDS.get(field.get("type", ""), "choice"),
            minimum=field.get("minimum"), maximum=field.get("maximum"), max_length=field.get("maxLength"),
            choices=choices,
        ))  # fmt: skip
    return fields


@router.get("", response_model=Vocabulary)
def vocabulary(_operator: CurrentOperator) -> Vocabulary:
    return VOCABULARY


def _vocabulary() -> Vocabulary:
    return Vocabulary(
        statuses=[Choice(value=status, label=_label(status)) for status in ActionStatus],
        channels=[Choice(value=channel, label=LABELS[channel]) for channel in Channel],
        priorities=[Choice(value=priority, label=_label(priority)) for priority in Priority],
        categories=[Choice(value=AgentCategory.customer, label="Customers"),
                    Choice(value=AgentCategory.team, label="The team")],
        ticket_statuses=[Choice(value=status, label=_label(status)) for status in TicketStatus],
        sorts=[Choice(value=InboxOrder.attention, label="Needs attention first"),
               Choice(value=InboxOrder.newest, label="Newest first")],
        agents=[
            AgentKind(agent_type=agent.type, label=_label(agent.type), category=agent.category,
                      description=agent.description, auto_execute_safe=agent.auto_execute_safe,
                      threshold_days=agent.threshold_days)
            for agent in ROSTER.values()
        ],
        agent_settings=_settings(),
    )  # fmt: skip


# Derived from the code once a process: the same for every operator.
VOCABULARY = _vocabulary()
