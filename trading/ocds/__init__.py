"""Open data: tenders, amendments, failures and awards as OCDS 1.1.5 releases and records (docs/ocds.md).

`mapping` holds the codelist mappings, `build` turns the trading log and the tender's public rows into
releases, records and packages, `validate` checks them against the copy of the schema in `schema/`."""
