"""Job stores: memory, SQL by URL, Redis and MongoDB — Tempora's stores."""
