"""The one way every process (API, worker, CLI) connects to Temporal."""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig

from domain import search_attributes

DEFAULT_ADDRESS = "localhost:7233"


async def connect(*, lazy: bool = False) -> Client:
    """Connect using the standard TEMPORAL_* environment variables and profiles.

    With nothing configured this reaches the dev server `make run` starts on localhost:7233.
    A lazy client connects on first use, so the API can start (and report) while Temporal is down.
    """
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", DEFAULT_ADDRESS)
    return await Client.connect(**config, data_converter=pydantic_data_converter, lazy=lazy)


async def register_search_attributes(client: Client) -> None:
    """Register our search attributes on a cluster that lacks them (the dev server gets them by flag). Safe to
    run again: the server skips an attribute it already has with this type."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in search_attributes.ALL},
        )
    )
