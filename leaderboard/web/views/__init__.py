"""The pages, one module per part of the site. A view parses the request, calls one selector
or service, and renders; what a page shows is assembled in leaderboard.selectors."""
