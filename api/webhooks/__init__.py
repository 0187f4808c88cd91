"""Provider webhooks: authenticated by the provider's signature (never by an operator's token), then handed to
`inbound/`. A forged, stale or unsigned request is refused and changes nothing."""
