-- The PostgreSQL reference ledger (perf/baselines/postgres): what a competent team would write for the ledger's POST
-- semantics on one database. One account row lock serialises an account's batches; one function call per batch (one
-- round trip) checks idempotency, decides every entry in order (funds check, holds, the default catalog's codes),
-- remembers a declined batch under each of its correlationIds, and applies all or nothing. fsync and synchronous_commit
-- stay on (the cluster's defaults), so a 201 is on disk, as the ledger's is.

CREATE TABLE IF NOT EXISTS accounts (
    branch      int    NOT NULL,
    account     bigint NOT NULL,
    currency    text   NOT NULL,
    overdraft   bigint NOT NULL DEFAULT 0,
    available   bigint NOT NULL DEFAULT 0,
    held        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (branch, account)
);

CREATE TABLE IF NOT EXISTS entries (
    branch          int    NOT NULL,
    account         bigint NOT NULL,
    correlation_id  text   NOT NULL,
    seq             bigint NOT NULL,          -- 0 for a remembered decline
    kind            text   NOT NULL,
    entry_type      int    NOT NULL,
    amount          bigint NOT NULL,
    currency        text   NOT NULL,
    ref             text,                     -- unblocks / reverses
    status          text   NOT NULL,          -- POSTED, PENDING, RELEASED, DECLINED
    first_status    text   NOT NULL,          -- the status the first answer gave (replays answer it again)
    remaining       bigint,                   -- holds: what is still held
    reversed_by     text,
    payload         text   NOT NULL,          -- canonical request fields, for the idempotency comparison
    decline         text,                     -- Problem type of a remembered decline
    decline_index   int,
    decline_detail  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (branch, account, correlation_id)
);
CREATE INDEX IF NOT EXISTS entries_statement ON entries (branch, account, seq);
CREATE SEQUENCE IF NOT EXISTS entry_seq;

CREATE OR REPLACE FUNCTION post_batch(
    p_branch int, p_account bigint,
    p_kinds text[], p_cids text[], p_types int[], p_amounts bigint[], p_currencies text[], p_refs text[], p_payloads text[],
    OUT o_status int, OUT o_seqs bigint[], OUT o_statuses text[], OUT o_types int[], OUT o_amounts bigint[],
    OUT o_available bigint, OUT o_held bigint, OUT o_currency text,
    OUT o_problem text, OUT o_index int, OUT o_detail text)
LANGUAGE plpgsql AS $$
DECLARE
    acc         accounts%ROWTYPE;
    ref_row     entries%ROWTYPE;
    n           int := cardinality(p_cids);
    found_count int;
    same_count  int;
    v_avail     bigint;
    v_held      bigint;
    dir         int;
    amt         bigint;
    floor_minor bigint;
BEGIN
    SELECT * INTO acc FROM accounts WHERE branch = p_branch AND account = p_account FOR UPDATE;
    IF NOT FOUND THEN
        o_status := 404; o_problem := 'account-not-found';
        o_detail := format('Account %s/%s does not exist.', p_branch, p_account);
        RETURN;
    END IF;
    o_currency := acc.currency;

    -- Idempotency by (account, correlationId); the account lock serialises this read against other batches.
    SELECT count(*), count(*) FILTER (WHERE e.payload = p.payload) INTO found_count, same_count
      FROM entries e JOIN unnest(p_cids, p_payloads) AS p(cid, payload) ON e.correlation_id = p.cid
     WHERE e.branch = p_branch AND e.account = p_account;
    IF found_count > 0 THEN
        IF found_count < n OR same_count < n THEN
            o_status := 409; o_problem := 'idempotency-conflict';
            o_detail := 'A correlationId of this batch was used before with another payload.';
            RETURN;
        END IF;
        SELECT e.decline, e.decline_index, e.decline_detail INTO o_problem, o_index, o_detail
          FROM entries e WHERE e.branch = p_branch AND e.account = p_account AND e.correlation_id = p_cids[1];
        IF o_problem IS NOT NULL THEN
            o_status := 422;
            RETURN;
        END IF;
        SELECT array_agg(e.seq ORDER BY p.ord), array_agg(e.first_status ORDER BY p.ord),
               array_agg(e.entry_type ORDER BY p.ord), array_agg(e.amount ORDER BY p.ord)
          INTO o_seqs, o_statuses, o_types, o_amounts
          FROM unnest(p_cids) WITH ORDINALITY AS p(cid, ord)
          JOIN entries e ON e.branch = p_branch AND e.account = p_account AND e.correlation_id = p.cid;
        o_status := 201; o_available := acc.available; o_held := acc.held;
        RETURN;
    END IF;

    v_avail := acc.available;
    v_held := acc.held;
    o_types := p_types;
    o_amounts := p_amounts;
    o_statuses := array_fill(NULL::text, ARRAY[n]);
    FOR i IN 1..n LOOP
        IF p_kinds[i] IN ('ledger', 'blocking') THEN
            dir := CASE p_types[i] WHEN 100 THEN 1 WHEN 201 THEN 1 WHEN 998 THEN -1 WHEN 200 THEN -1 WHEN 700 THEN -1 ELSE 0 END;
            amt := p_amounts[i];
            IF dir = 0 THEN
                o_problem := 'unknown-history-code'; o_detail := format('%s is not a history code of the catalog.', p_types[i]);
            ELSIF p_currencies[i] <> acc.currency THEN
                o_problem := 'currency-mismatch'; o_detail := format('The account holds %s.', acc.currency);
            ELSIF p_types[i] = 998 AND amt > 1000000 THEN
                o_problem := 'rule-declined'; o_detail := 'Code 998 allows at most 1000000 minor units an entry.';
            ELSIF p_kinds[i] = 'blocking' AND p_types[i] <> 998 THEN
                o_problem := 'rule-declined'; o_detail := format('Code %s does not allow blocking entries.', p_types[i]);
            ELSIF dir < 0 THEN
                floor_minor := CASE WHEN p_types[i] = 700 THEN -acc.overdraft ELSE 0 END;
                IF v_avail - amt < floor_minor THEN
                    o_problem := 'insufficient-funds'; o_detail := format('AVAILABLE is %s, the entry needs %s.', v_avail, amt);
                ELSE
                    v_avail := v_avail - amt;
                    IF p_kinds[i] = 'blocking' THEN
                        v_held := v_held + amt;
                        o_statuses[i] := 'PENDING';
                    ELSE
                        o_statuses[i] := 'POSTED';
                    END IF;
                END IF;
            ELSE
                v_avail := v_avail + amt;
                o_statuses[i] := 'POSTED';
            END IF;
        ELSIF p_kinds[i] = 'unblocking' THEN
            SELECT * INTO ref_row FROM entries
             WHERE branch = p_branch AND account = p_account AND correlation_id = p_refs[i] AND kind = 'blocking' FOR UPDATE;
            IF NOT FOUND THEN
                o_problem := 'entry-not-found'; o_detail := format('No hold %s on this account.', p_refs[i]);
            ELSIF ref_row.status <> 'PENDING' THEN
                o_problem := 'entry-not-pending'; o_detail := format('Hold %s is %s.', p_refs[i], ref_row.status);
            ELSE
                amt := CASE WHEN p_amounts[i] > 0 THEN p_amounts[i] ELSE ref_row.remaining END;
                IF amt > ref_row.remaining THEN
                    o_problem := 'rule-declined'; o_detail := format('Hold %s has %s left.', p_refs[i], ref_row.remaining);
                ELSE
                    v_held := v_held - amt;
                    v_avail := v_avail + amt;
                    o_types[i] := ref_row.entry_type;
                    o_amounts[i] := amt;
                    o_statuses[i] := 'POSTED';
                END IF;
            END IF;
        ELSIF p_kinds[i] = 'reversal' THEN
            SELECT * INTO ref_row FROM entries
             WHERE branch = p_branch AND account = p_account AND correlation_id = p_refs[i] AND kind = 'ledger' FOR UPDATE;
            IF NOT FOUND OR ref_row.status <> 'POSTED' THEN
                o_problem := 'entry-not-found'; o_detail := format('No posted ledger entry %s on this account.', p_refs[i]);
            ELSIF ref_row.reversed_by IS NOT NULL THEN
                o_problem := 'already-reversed'; o_detail := format('%s was reversed by %s.', p_refs[i], ref_row.reversed_by);
            ELSE
                dir := CASE ref_row.entry_type WHEN 100 THEN 1 WHEN 201 THEN 1 ELSE -1 END;
                IF dir > 0 AND v_avail - ref_row.amount < 0 THEN
                    o_problem := 'insufficient-funds'; o_detail := format('AVAILABLE is %s, the reversal needs %s.', v_avail, ref_row.amount);
                ELSE
                    v_avail := v_avail - dir * ref_row.amount;
                    o_types[i] := ref_row.entry_type;
                    o_amounts[i] := ref_row.amount;
                    o_statuses[i] := 'POSTED';
                END IF;
            END IF;
        ELSE
            o_problem := 'validation'; o_detail := format('entryKind %s is not in this baseline.', p_kinds[i]);
        END IF;
        IF o_problem IS NOT NULL THEN
            o_index := i - 1;
            EXIT;
        END IF;
    END LOOP;

    IF o_problem IS NOT NULL THEN
        -- Declines are final: the batch is remembered under each of its correlationIds and answers the same 422 again.
        INSERT INTO entries (branch, account, correlation_id, seq, kind, entry_type, amount, currency, ref, status, first_status, payload,
                             decline, decline_index, decline_detail)
        SELECT p_branch, p_account, x.c, 0, x.k, COALESCE(x.t, 0), COALESCE(x.a, 0), COALESCE(x.cu, acc.currency), x.r, 'DECLINED', 'DECLINED', x.pl,
               o_problem, o_index, o_detail
          FROM unnest(p_cids, p_kinds, p_types, p_amounts, p_currencies, p_refs, p_payloads) AS x(c, k, t, a, cu, r, pl);
        o_status := 422;
        RETURN;
    END IF;

    o_seqs := ARRAY(SELECT nextval('entry_seq') FROM generate_series(1, n));
    INSERT INTO entries (branch, account, correlation_id, seq, kind, entry_type, amount, currency, ref, status, first_status, remaining, payload)
    SELECT p_branch, p_account, x.c, x.s, x.k, x.t, x.a, acc.currency, x.r, x.st, x.st, CASE WHEN x.k = 'blocking' THEN x.a END, x.pl
      FROM unnest(p_cids, o_seqs, p_kinds, o_types, o_amounts, p_refs, o_statuses, p_payloads) AS x(c, s, k, t, a, r, st, pl);
    UPDATE entries e SET remaining = e.remaining - x.a, status = CASE WHEN e.remaining - x.a = 0 THEN 'RELEASED' ELSE e.status END
      FROM unnest(p_kinds, p_refs, o_amounts) AS x(k, r, a)
     WHERE x.k = 'unblocking' AND e.branch = p_branch AND e.account = p_account AND e.correlation_id = x.r;
    UPDATE entries e SET reversed_by = x.c
      FROM unnest(p_kinds, p_refs, p_cids) AS x(k, r, c)
     WHERE x.k = 'reversal' AND e.branch = p_branch AND e.account = p_account AND e.correlation_id = x.r;
    UPDATE accounts SET available = v_avail, held = v_held WHERE branch = p_branch AND account = p_account;
    o_status := 201;
    o_available := v_avail;
    o_held := v_held;
END
$$;
