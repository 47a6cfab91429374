"""What a mention says: text, language, sentiment, and which watchlists it is about."""
