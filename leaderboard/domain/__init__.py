"""What the numbers mean, with no database: periods and scopes, rows, records from providers,
pricing, clean text, the directory's CSV, safe CSV output, provider capabilities, charts."""
