"""The ETL half of the REST API (`/api/v1/etl/`): data sources (list, create, edit, delete, test,
sync now, schedule), their runs, and the imported records. Thin views over the same services and
selectors the hub uses; every query is scoped to the caller's tenant."""
