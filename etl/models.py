"""Business tables (work items, pull requests, commits) arrive with the ETL issue."""
