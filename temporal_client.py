"""The one way every process (API, worker, CLI) connects to Temporal."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig

DEFAULT_ADDRESS = "localhost:7233"


async def connect(*, lazy: bool = False) -> Client:
    """Connect using the standard TEMPORAL_* environment variables and profiles.

    With nothing configured this reaches the dev server `make run` starts on localhost:7233.
    A lazy client connects on first use, so the API can start (and report) while Temporal is down.
    """
    config = ClientConfig.load_client_connect_config()
    config.setdefault("target_host", DEFAULT_ADDRESS)
    return await Client.connect(**config, data_converter=pydantic_data_converter, lazy=lazy)
