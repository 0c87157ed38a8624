"""Technical writers' tools: ticket clusters, the gap and freshness reports, article drafts from
resolved tickets, and the review workflow that publishes them."""
