"""Who may see what: API keys, the wall's token, rate limits."""
