"""Between the REST models (the *_schemas modules) and the services' proto messages: one module per service.

Each module has a `<kind>_from_proto` for every message the gateway receives from its service (a reply
becomes the REST model the route answers) and a `<kind>_to_proto` for every message the gateway sends (a
REST body becomes the request's message), each with its inverse, so tests/unit/test_serde.py can hold
every pair to a round trip. Field by field and by name, never by looking fields up: a field added to a
proto or a model is a field to add here, and mypy or the round trip says so.

How a value looks on each side is decided once, in `fields`: enum numbers travel as words, Timestamps
as UTC datetimes, ISO date strings as dates, and the proto's zero value ("", 0, UNSPECIFIED, an unset
Timestamp) is null where REST documents a field as nullable.
"""
