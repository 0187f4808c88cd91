"""The operators' web app: pages rendered on the server (Jinja2) and made live with htmx (vendored, pinned: no
build step, no CDN), served by the API process under `/app`.

Every page is drawn from the JSON API's own answers, asked in-process with the signed-in operator's token
(`client.py`): the app shows exactly what the API shows that operator, and refuses what it refuses, in its words.
"""
