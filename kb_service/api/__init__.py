"""HTTP API: one router per capability, combined in kb_service.app."""
