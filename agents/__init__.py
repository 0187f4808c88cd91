"""Agent types: one module each (`due_invoice`, `contract_renewal`, `lead_follow_up`, `first_booking`,
`tour_reminder`, `tour_no_show`, `booking_no_show`, `re_engagement`, `at_risk`, `upsell`), the registry that lists
them, the paged scan through the safeguards, and the dry run."""
