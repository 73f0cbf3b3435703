"""One module per Azure resource provider, each with its handlers and its `ROUTES` (moto's urls + responses)."""
