"""call-offs, takes and returns in one statement on PostgreSQL (issue 21): the function civicpool_move

One call does what the transaction path of usage.py does with eight statements: the Idempotency-Key, the call-off
number, the posting, the movement, and the guarded changes of the counters (the same guards as holdings.py, in the
same lock order). A guard that does not hold raises, so the statement changes nothing: SQLSTATE CPREF (refused) or,
when the contract's version is not the one the caller checked its rules on, CPSTL (stale: read it again). SQLite
keeps the transaction path; the service tests run both against the same properties.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = """
CREATE FUNCTION civicpool_move_refused(p_contract_id text, p_version integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Read after the failed guard, with a snapshot of now: a changed contract is stale, not a limit.
    PERFORM 1 FROM contracts WHERE id = p_contract_id AND version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % changed since it was read', p_contract_id USING ERRCODE = 'CPSTL';
    END IF;
    RAISE EXCEPTION 'a limit of contract % does not hold', p_contract_id USING ERRCODE = 'CPREF';
END $$
"""

MOVE = """
CREATE FUNCTION civicpool_move(
    p_caller text, p_key text, p_operation text, p_request_sha256 text, p_operation_id text,
    p_contract_id text, p_version integer, p_price bigint, p_framework_id text,
    p_transaction_id text, p_kind text, p_memo text, p_created_by text, p_at timestamptz,
    p_city_id text, p_quantity bigint, p_amount bigint,
    p_quota_column text, p_contract_column text, p_contract_delta bigint,
    p_accounts text[], p_amounts bigint[],
    p_number_prefix text, p_number_year integer
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_number bigint := 0;  -- the call-off's number in its sequence; 0: the movement is not numbered
    d_called bigint := CASE WHEN p_quota_column = 'called_off' THEN p_quantity ELSE 0 END;
    d_returned bigint := CASE WHEN p_quota_column = 'returned' THEN p_quantity ELSE 0 END;
    d_taken bigint := CASE WHEN p_quota_column = 'taken' THEN p_quantity ELSE 0 END;
    c_called bigint := CASE WHEN p_contract_column = 'called_off' THEN p_contract_delta ELSE 0 END;
    c_pool bigint := CASE WHEN p_contract_column = 'in_pool' THEN p_contract_delta ELSE 0 END;
BEGIN
    PERFORM 1 FROM contracts WHERE id = p_contract_id AND version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'contract % changed since it was read', p_contract_id USING ERRCODE = 'CPSTL';
    END IF;
    IF p_key <> '' THEN  -- a retry fails here (unique_violation) and is answered by the first request's result
        INSERT INTO idempotency_keys (caller, key, operation, request_sha256, operation_id, created_at)
        VALUES (p_caller, p_key, p_operation, p_request_sha256, p_operation_id, p_at);
    END IF;
    IF p_number_prefix <> '' THEN  -- numbering.next_number: the first lock taken
        INSERT INTO reference_counters (kind, prefix, year, last) VALUES ('call_off', p_number_prefix, p_number_year, 0)
        ON CONFLICT DO NOTHING;
        UPDATE reference_counters SET last = last + 1
        WHERE kind = 'call_off' AND prefix = p_number_prefix AND year = p_number_year RETURNING last INTO v_number;
    END IF;
    INSERT INTO ledger_transactions (id, operation_id, kind, contract_id, memo, reverses_id, created_by, created_at)
    VALUES (p_transaction_id, p_operation_id, p_kind, p_contract_id, p_memo, NULL, p_created_by, p_at);
    INSERT INTO movements (operation_id, contract_id, city_id, kind, quantity, amount_cents, transaction_id,
                           created_by, created_at)
    VALUES (p_operation_id, p_contract_id, p_city_id, p_kind, p_quantity, p_amount, p_transaction_id, p_created_by,
            p_at);
    INSERT INTO ledger_entries (transaction_id, account, amount_cents, posted_at)
    SELECT p_transaction_id, entry.account, entry.amount, p_at
    FROM unnest(p_accounts, p_amounts) AS entry(account, amount);
    IF v_number > 0 THEN  -- numbering.format_reference
        INSERT INTO call_offs (transaction_id, reference, city_id)
        VALUES (p_transaction_id, p_number_prefix || '-' || p_number_year || '-' ||
                lpad(v_number::text, greatest(3, length(v_number::text)), '0'), p_city_id);
    END IF;
    -- The guarded changes of holdings.py, in its lock order: the quota row, the framework's, the contract row.
    UPDATE contract_quotas SET called_off = called_off + d_called, returned = returned + d_returned,
                               taken = taken + d_taken
    WHERE contract_id = p_contract_id AND city_id = p_city_id
      AND called_off + d_called BETWEEN 0 AND quantity AND returned + d_returned >= 0 AND taken + d_taken >= 0
      AND (called_off + d_called) - (returned + d_returned) + (taken + d_taken) >= 0;
    IF NOT FOUND THEN PERFORM civicpool_move_refused(p_contract_id, p_version); END IF;
    IF p_framework_id <> '' AND p_kind = 'call_off' THEN
        UPDATE framework_quotas SET called_off = called_off + p_quantity
        WHERE framework_id = p_framework_id AND city_id = p_city_id AND called_off + p_quantity BETWEEN 0 AND quantity;
        IF NOT FOUND THEN PERFORM civicpool_move_refused(p_contract_id, p_version); END IF;
        UPDATE frameworks SET called_off = called_off + p_quantity,
                              called_off_value_cents = called_off_value_cents + p_amount
        WHERE id = p_framework_id AND called_off + p_quantity BETWEEN 0 AND max_quantity
          AND called_off_value_cents + p_amount BETWEEN 0 AND max_value_cents;
        IF NOT FOUND THEN PERFORM civicpool_move_refused(p_contract_id, p_version); END IF;
    END IF;
    UPDATE contracts SET called_off = called_off + c_called, in_pool = in_pool + c_pool
    WHERE id = p_contract_id AND version = p_version AND unit_price_cents = p_price
      AND called_off + c_called BETWEEN 0 AND ceiling_quantity
      AND (called_off + c_called) * unit_price_cents <= ceiling_value_cents AND in_pool + c_pool >= 0;
    IF NOT FOUND THEN PERFORM civicpool_move_refused(p_contract_id, p_version); END IF;
    RETURN v_number;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REFUSED)
        op.execute(MOVE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION civicpool_move")
        op.execute("DROP FUNCTION civicpool_move_refused")
