"""The Talking Mat page: a Telegram Mini App served by MySay itself (issue 16).

`init_data` checks what Telegram signs for the page (the young person it was opened by);
`server` is the thin HTTP adapter (aiohttp) that serves the page, its files and its API, and
hands each request to bot.service.mat_page; `static/` holds the page.
"""
