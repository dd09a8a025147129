"""Set-based rating of imported calls: route, revision and longest prefix per row, in SQL.

`rating_lateral(alias)` is a LATERAL subquery the CDR import joins to each checked row; it runs
only for rows that arrived without a charge and passed every check (the gate is the first FROM
item, so other rows cost no lookup). Per row it does three index
probes (route, live revision, prefix) and the arithmetic of rates.rating in SQL, so a million
rows are priced in one statement. tests/routing/test_import_rating.py holds the SQL equal to the
pure Python rule.

Which card prices a row: for a call to one of the customer's DIDs (inbound), the DID's customer
origination card on the whole number; otherwise the customer's ingress route matched on the dialled number, as the switch
would pick it (longest tech prefix, then a dial pattern before the catch-all, then priority). The
tech prefix is stripped before the rate lookup. A row that matches no route, has no revision live
at its start, no prefix, or a blocked prefix is rejected with that reason.
"""

ROUTE_TABLE = "routing_ingressroute"
DID_TABLE = "dids_did"  # inbound calls (dids app): the dialled number is the customer's DID

# Rounding to the card's precision, per its mode; x ≥ 0.
_ROUNDED = """CASE q.rounding
  WHEN 'half_up' THEN round(q.exact, q.precision)
  WHEN 'half_down' THEN ceil(q.exact * power(10::numeric, q.precision) - 0.5) / power(10::numeric, q.precision)
  WHEN 'up' THEN ceil(q.exact * power(10::numeric, q.precision)) / power(10::numeric, q.precision)
  ELSE floor(q.exact * power(10::numeric, q.precision)) / power(10::numeric, q.precision) END"""

_LATERAL = f"""
LEFT JOIN LATERAL (
  SELECT q.rate_card_id, q.rate_revision_id, q.rate_prefix, q.rate, q.rate_name, q.billed AS rated_billed,
         CASE WHEN q.billed = 0 THEN 0 ELSE {_ROUNDED} END AS rated_charge, q.rating_problem
  FROM (
    SELECT p.*, p.connect_fee + p.rate * p.billed / 60 AS exact
    FROM (
      SELECT rt.rate_card_id, rv.id AS rate_revision_id, rr.prefix AS rate_prefix, rr.rate, rr.name AS rate_name,
             rr.connect_fee, card.precision, card.rounding,
             CASE WHEN {{a}}.answer_time IS NULL OR {{a}}.duration <= 0 OR {{a}}.duration <= rr.grace THEN 0
                  WHEN {{a}}.duration <= rr.mcd THEN rr.mcd
                  ELSE rr.mcd + (({{a}}.duration - rr.mcd + rr.pulse - 1) / rr.pulse) * rr.pulse END AS billed,
             CASE WHEN rt.id IS NULL THEN 'no ingress route matches the dialed number'
                  WHEN rv.id IS NULL THEN 'rate card ' || rt.rate_card_id || ' has no revision live at start_time'
                  WHEN rr.id IS NULL THEN 'no rate for the dialed number'
                  WHEN rr.blocked THEN 'destination blocked (prefix ' || rr.prefix || ')' END AS rating_problem
      FROM (SELECT ltrim({{a}}.dialed_number, '+') AS digits WHERE {{a}}.charge IS NULL AND {{a}}.reason = '') n
      LEFT JOIN LATERAL (
        -- Inbound: a call to the customer's own DID is priced on the DID's customer origination card.
        SELECT u.id, u.rate_card_id, u.number FROM (
          SELECT 0 AS id, d.customer_card_id AS rate_card_id, n.digits AS number, 0 AS rank
          FROM {DID_TABLE} d
          WHERE d.number = n.digits AND d.customer_id = {{a}}.customer_id AND d.customer_card_id IS NOT NULL
          UNION ALL
          (SELECT r.id, r.rate_card_id, substr(n.digits, length(r.tech_prefix) + 1) AS number, 1 AS rank
           FROM {ROUTE_TABLE} r
           WHERE r.customer_id = {{a}}.customer_id AND starts_with(n.digits, r.tech_prefix)
             AND (r.dial_pattern = '' OR substr(n.digits, length(r.tech_prefix) + 1) ~ r.dial_pattern)
           ORDER BY length(r.tech_prefix) DESC, r.dial_pattern = '', r.priority, r.id LIMIT 1)
        ) u ORDER BY u.rank LIMIT 1
      ) rt ON true
      LEFT JOIN rates_ratecard card ON card.id = rt.rate_card_id
      LEFT JOIN LATERAL (
        SELECT v.id FROM rates_raterevision v WHERE v.card_id = rt.rate_card_id AND v.live_from <= {{a}}.start_time
        ORDER BY v.live_from DESC LIMIT 1
      ) rv ON true
      LEFT JOIN LATERAL (
        SELECT x.* FROM rates_raterow x
        WHERE x.revision_id = rv.id AND x.prefix = ANY(cx_prefixes(rt.number))
        ORDER BY length(x.prefix) DESC LIMIT 1
      ) rr ON true
    ) p
  ) q
) rating ON true"""


def rating_lateral(alias: str) -> str:
    """The LATERAL join that prices row `alias` (columns customer_id, dialed_number, start_time,
    answer_time, duration, charge, reason); its columns are rate_card_id, rate_revision_id,
    rate_prefix, rate, rate_name, rated_billed, rated_charge and rating_problem (all NULL for rows
    that keep their own charge)."""
    return _LATERAL.replace("{a}", alias)

