"""The Microsoft Teams adapter: Microsoft 365 Agents SDK on the bot's aiohttp app.

`app.py` calls `build_teams(runtime)` and `add_routes(web_app, teams)`; everything Teams knows
(activity handlers, Adaptive Card builders, the connector client, the notifier, the app
package) lives in this folder, beside handlers/slack/.
"""
