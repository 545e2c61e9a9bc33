"""The cohortbot domain: plan, planner, assignments, line managers, pulses, networks, delivery.

Nothing in this package imports Slack; transports implement `bot.notifier.Notifier`.
"""
