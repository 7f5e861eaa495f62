"""The pages, one module per concept; each page's JSON twin under /api/v1 sits beside it, on the same call."""
