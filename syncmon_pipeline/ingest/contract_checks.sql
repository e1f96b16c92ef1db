-- Macros that check one JSON value against the v1 contract. Each takes the value's JSON
-- type `t` (NULL when absent, 'NULL' for null) and its text `s`, and returns NULL when the
-- value is fine, else the quarantine reason. Types and texts come from one parse per row
-- (json_type / json_extract_string with a list of paths), which keeps ingest fast.
CREATE OR REPLACE TEMP MACRO sm_absent(t) AS t IS NULL OR t = 'NULL';

CREATE OR REPLACE TEMP MACRO sm_is_integer(t, s) AS
    t IN ('UBIGINT', 'BIGINT')
    OR (t = 'DOUBLE' AND try_cast(s AS DOUBLE) = floor(try_cast(s AS DOUBLE)) AND isfinite(try_cast(s AS DOUBLE)));

CREATE OR REPLACE TEMP MACRO sm_required(t, field) AS
    CASE WHEN t IS NULL THEN 'missing field: ' || field
         WHEN t = 'NULL' THEN field || ' must not be null' END;

CREATE OR REPLACE TEMP MACRO sm_label(t, s, field) AS
    CASE WHEN sm_absent(t) THEN sm_required(t, field)
         WHEN t <> 'VARCHAR' THEN 'wrong type: ' || field || ' must be a string'
         WHEN length(s) = 0 THEN field || ' must not be empty'
         WHEN length(s) > 200 THEN field || ' is longer than 200 characters' END;

CREATE OR REPLACE TEMP MACRO sm_opt_string(t, s, field, max_len) AS
    CASE WHEN sm_absent(t) THEN NULL
         WHEN t <> 'VARCHAR' THEN 'wrong type: ' || field || ' must be a string'
         WHEN length(s) > max_len THEN field || ' is longer than ' || max_len || ' characters' END;

CREATE OR REPLACE TEMP MACRO sm_opt_count(t, s, field) AS
    CASE WHEN sm_absent(t) THEN NULL
         WHEN NOT sm_is_integer(t, s) THEN 'wrong type: ' || field || ' must be an integer'
         WHEN t <> 'UBIGINT' AND try_cast(s AS DOUBLE) < 0 THEN field || ' must not be negative'
         -- the contract's bound (2^53): a larger count would overflow the warehouse's 64-bit sums
         WHEN CASE WHEN t IN ('UBIGINT', 'BIGINT') THEN try_cast(s AS HUGEINT) > 9007199254740992  -- exact
                   ELSE try_cast(s AS DOUBLE) > 9007199254740992 END THEN field || ' must not exceed 9007199254740992 (2^53)' END;

CREATE OR REPLACE TEMP MACRO sm_opt_number(t, s, field, max_value) AS
    CASE WHEN sm_absent(t) THEN NULL
         WHEN t NOT IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN 'wrong type: ' || field || ' must be a number'
         WHEN try_cast(s AS DOUBLE) < 0 THEN field || ' must not be negative'
         WHEN try_cast(s AS DOUBLE) > max_value THEN field || ' must not exceed ' || max_value END;

CREATE OR REPLACE TEMP MACRO sm_bool(t, field, required) AS
    CASE WHEN sm_absent(t) THEN CASE WHEN required THEN sm_required(t, field) END
         WHEN t <> 'BOOLEAN' THEN 'wrong type: ' || field || ' must be true or false' END;

CREATE OR REPLACE TEMP MACRO sm_enum(t, s, field, allowed, required) AS
    CASE WHEN sm_absent(t) THEN CASE WHEN required THEN sm_required(t, field) END
         WHEN t <> 'VARCHAR' OR NOT list_contains(allowed, s)
             THEN field || ' has an unknown value: ' || left(s, 60) END;

CREATE OR REPLACE TEMP MACRO sm_string_list(t, s, field) AS
    CASE WHEN sm_absent(t) THEN NULL
         WHEN t <> 'ARRAY' OR len(list_filter(json_type(s, '$[*]'), lambda x: x <> 'VARCHAR')) > 0
             THEN 'wrong type: ' || field || ' must be a list of strings' END;
