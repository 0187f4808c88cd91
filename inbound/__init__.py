"""Everything a customer sends us, routed to the workflow that answers it. Today: a reply to an outreach,
played through the sandbox endpoint; provider webhooks and mailbox sync will call the same routing."""
