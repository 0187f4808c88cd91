"""Custom search attributes, so engineers can filter outreaches in the Temporal UI and CLI."""

from temporalio.common import SearchAttributeKey

OUTREACH_STATUS = SearchAttributeKey.for_keyword("OutreachStatus")
AGENT_TYPE = SearchAttributeKey.for_keyword("AgentType")
LOCATION_ID = SearchAttributeKey.for_keyword("LocationId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
CHANNEL = SearchAttributeKey.for_keyword("Channel")

ALL = (OUTREACH_STATUS, AGENT_TYPE, LOCATION_ID, CUSTOMER_ID, CHANNEL)
