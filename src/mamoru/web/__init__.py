"""The web application: server-rendered pages (ui/) and the JSON API (api/), both over services."""
