"""Custom search attributes, so engineers can filter outreaches in the Temporal UI and CLI."""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey

OUTREACH_STATUS = SearchAttributeKey.for_keyword("OutreachStatus")
AGENT_TYPE = SearchAttributeKey.for_keyword("AgentType")
LOCATION_ID = SearchAttributeKey.for_keyword("LocationId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
CHANNEL = SearchAttributeKey.for_keyword("Channel")

ALL = (OUTREACH_STATUS, AGENT_TYPE, LOCATION_ID, CUSTOMER_ID, CHANNEL)


async def register(client: Client) -> None:
    """Register the attributes on a cluster that lacks them (the dev server gets them by flag). Safe to run
    again: the server skips an attribute it already has with this type."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in ALL},
        )
    )
