"""The setup wing: what a tenant configures. Provider rows (create, update, test, Save & Test),
the agents' settings, the choice of embedding model, and the YAML file of the whole setup.
Budgets are set through `ai.execution.budgets`, beside the check that enforces them.

It imports `ai.execution`, `ai.providers`, `ai.vectors` (to plan a model switch) and `ai.models`;
only `ai.api`, the hub and commands import it.
"""
