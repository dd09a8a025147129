"""Set-based rating of imported calls: route, revision and longest prefix per row, in SQL.

`rating_lateral(alias)` joins to each checked row what prices it; the pricing runs only for rows
that arrived without a charge and passed every check (the gate is the first FROM item of the
LATERAL part, so other rows cost no lookup), and a million rows are priced in one statement.
tests/routing/test_import_rating.py holds the SQL equal to the pure Python rule (rates.rating).
A large file whose customers all route plainly is priced by the same rules in Arrow instead
(summaries.columnar._Rating), held equal to this SQL by the same tests.

Which card prices a row: for a call to one of the customer's DIDs (inbound), the DID's customer
origination card on the whole number; otherwise the customer's ingress route matched on the dialled
number, as the switch would pick it (longest tech prefix, then a dial pattern before the catch-all,
then priority, then id). The tech prefix is stripped before the rate lookup. A row that matches no
route, has no revision live at its start, no prefix, or a blocked prefix is rejected with that reason.

What a row costs: the DID is a join, and a customer whose routes have no tech prefix or dial pattern
(the usual case) sends every call through the same route, so only other customers' calls probe their
routes one by one. For a large file every customer's routes are read once and hash-joined; a few
rows (the switch's CDRs) read just their own customer's. The live revision is one index probe
(per_row and routes_once; a large file is rated as described below).

The longest prefix is usually one more: the greatest prefix not above the number (one B-tree
descent) is the longest prefix of the number whenever it is a prefix of it at all, since any longer
one would sort between the two. When it is a neighbour instead, the answer is a prefix of what the
two share, so the same probe below that shared part usually finds it; only then are all the
number's prefixes probed.

A large file (SORTED_FROM rows to price) is rated in a statement of its own before the import,
`rating_sorted_prepare`, and the import joins its result by row (`rating_sorted_joins`): the same
rules, decided for all rows at once. Each row's card and number come from the routes and DIDs as
above, its revision from every card's revisions and their live spans (a hash join). Then one sort
puts the numbers among their revisions' prefixes (a one-character revision code ahead of each, so
the sort compares the numbers' own leading bytes); the last prefix before each number is the greatest
not above it, and for the few numbers for which that neighbour is not a prefix, the prefixes of what
the two share are looked up (a hash join) and the longest taken. This costs a sort of the file's
numbers and a read of its revisions' prefixes instead of a B-tree descent or more per row, which
pays from about as many rows as the revisions have prefixes.
"""

ROUTE_TABLE = "routing_ingressroute"
# From this many rows to price, reading all customers' routes once (whose cost grows with the number
# of routes) is cheaper than reading each row's customer's (an index probe per row).
ROUTES_ONCE_FROM = 10_000
# From this many, every row's longest prefix is found in one sort of the numbers among the prefixes
# (rating_sorted_prepare), whose cost grows with the revisions' prefixes, rather than by a descent per row.
SORTED_FROM = 50_000
DID_TABLE = "dids_did"  # inbound calls (dids app): the dialled number is the customer's DID

# Rounding to the card's precision, per its mode; x ≥ 0. (packages.services rounds the same way.)
_ROUNDED = """CASE q.rounding
  WHEN 'half_up' THEN round(q.exact, q.precision)
  WHEN 'half_down' THEN ceil(q.exact * power(10::numeric, q.precision) - 0.5) / power(10::numeric, q.precision)
  WHEN 'up' THEN ceil(q.exact * power(10::numeric, q.precision)) / power(10::numeric, q.precision)
  ELSE floor(q.exact * power(10::numeric, q.precision)) / power(10::numeric, q.precision) END"""

# The greatest prefix of the revision not above `bound` (COLLATE "C"): one descent of its unique index.
_BELOW = """SELECT x.id, x.prefix, x.name, x.rate, x.connect_fee, x.mcd, x.pulse, x.grace, x.blocked
  FROM rates_raterow x WHERE x.revision_id = rv.id AND x.prefix <= {bound} ORDER BY x.prefix DESC LIMIT 1"""


def _common_length(a, b, low=0, high=19):
    """SQL for the length of the longest common prefix of a and b (at most 19, which is all a
    neighbour that is not a prefix of a number of up to 20 digits can share with it), found by
    halving: five comparisons."""
    if low == high:
        return str(low)
    middle = (low + high + 1) // 2
    return (f"CASE WHEN left({a}, {middle}) = left({b}, {middle}) THEN {_common_length(a, b, middle, high)} "
            f"ELSE {_common_length(a, b, low, middle - 1)} END")


# Each customer's routes: whether any picks by the number, and the one every call takes when none
# does. Read for all customers at once and hash-joined (a cost per route, paid once), or per row.
_ROUTE_TERMS = """bool_and(r.tech_prefix = '' AND r.dial_pattern = '') AS plain,
  (array_agg(r.rate_card_id ORDER BY r.priority, r.id))[1] AS rate_card_id"""
_ROUTES_ONCE = f"""
LEFT JOIN (
  SELECT r.customer_id, {_ROUTE_TERMS} FROM {ROUTE_TABLE} r GROUP BY r.customer_id
) rating_routes ON rating_routes.customer_id = {{a}}.customer_id"""
_ROUTES_PER_ROW = f"""
LEFT JOIN LATERAL (
  SELECT {_ROUTE_TERMS} FROM {ROUTE_TABLE} r
  WHERE r.customer_id = {{a}}.customer_id AND {{a}}.charge IS NULL AND {{a}}.reason = ''
) rating_routes ON true"""

_DID = f"""-- Inbound: a call to the customer's own DID is priced on the DID's customer origination card.
LEFT JOIN {DID_TABLE} rating_did ON rating_did.number = ltrim({{a}}.dialed_number, '+')
  AND rating_did.customer_id = {{a}}.customer_id AND rating_did.customer_card_id IS NOT NULL
"""
# The card and the number to look up on it (tech prefix stripped), from the DID, the customer's routes
# and n.digits (the dialled number without its +).
_PICK = f"""      -- A customer whose routes pick by tech prefix or dial pattern: the switch's choice for this number
      -- (card, tech prefix length), looked up only for such a customer's calls.
      CROSS JOIN LATERAL (
        SELECT CASE WHEN rating_did.id IS NULL AND NOT rating_routes.plain THEN (
          SELECT ARRAY[r.rate_card_id, length(r.tech_prefix)] FROM {ROUTE_TABLE} r
          WHERE r.customer_id = {{a}}.customer_id AND starts_with(n.digits, r.tech_prefix)
            AND (r.dial_pattern = '' OR substr(n.digits, length(r.tech_prefix) + 1) ~ r.dial_pattern)
          ORDER BY length(r.tech_prefix) DESC, r.dial_pattern = '', r.priority, r.id LIMIT 1) END AS route
        OFFSET 0
      ) picked
      CROSS JOIN LATERAL (
        SELECT CASE WHEN rating_did.id IS NOT NULL THEN rating_did.customer_card_id
                    WHEN rating_routes.plain THEN rating_routes.rate_card_id ELSE picked.route[1] END AS rate_card_id,
               CASE WHEN rating_did.id IS NOT NULL OR rating_routes.plain THEN n.digits
                    ELSE substr(n.digits, picked.route[2]::int + 1) END COLLATE "C" AS number
      ) rt
"""

# What a row costs, from the card (rt.rate_card_id, card), the revision ({revision}) and the rate row
# (rr) that price it, and the reason it cannot be priced. {rows} are the FROM items that find them.
_PRICE = """
  SELECT q.rate_card_id, q.rate_revision_id, q.rate_prefix, q.rate, q.rate_name, q.billed AS rated_billed,
         CASE WHEN q.billed = 0 THEN 0 ELSE <ROUNDED> END AS rated_charge, q.rating_problem
  FROM (
    SELECT p.*, p.connect_fee + p.rate * p.billed / 60 AS exact
    FROM (
      SELECT rt.rate_card_id, {revision} AS rate_revision_id, rr.prefix AS rate_prefix, rr.rate, rr.name AS rate_name,
             rr.connect_fee, card.precision, card.rounding,
             CASE WHEN {a}.answer_time IS NULL OR {a}.duration <= 0 OR {a}.duration <= rr.grace THEN 0
                  WHEN {a}.duration <= rr.mcd THEN rr.mcd
                  ELSE rr.mcd + (({a}.duration - rr.mcd + rr.pulse - 1) / rr.pulse) * rr.pulse END AS billed,
             CASE WHEN rt.rate_card_id IS NULL THEN 'no ingress route matches the dialed number'
                  WHEN {revision} IS NULL THEN 'rate card ' || rt.rate_card_id || ' has no revision live at start_time'
                  WHEN rr.id IS NULL THEN 'no rate for the dialed number'
                  WHEN rr.blocked THEN 'destination blocked (prefix ' || rr.prefix || ')' END AS rating_problem
      FROM {rows}
    ) p
  ) q""".replace("<ROUNDED>", _ROUNDED)

_PER_ROW_ROWS = f"""(SELECT ltrim({{a}}.dialed_number, '+') AS digits WHERE {{a}}.charge IS NULL AND {{a}}.reason = '') n
{_PICK}      LEFT JOIN rates_ratecard card ON card.id = rt.rate_card_id
      LEFT JOIN LATERAL (
        SELECT v.id FROM rates_raterevision v WHERE v.card_id = rt.rate_card_id AND v.live_from <= {{a}}.start_time
        ORDER BY v.live_from DESC LIMIT 1
      ) rv ON true
      -- The longest prefix (see the module doc): the greatest prefix not above the number, if it is a
      -- prefix of it; else the same below the part the number shares with that neighbour; else the
      -- longest of all the number's prefixes.
      LEFT JOIN LATERAL (
        (SELECT b.* FROM ({_BELOW.format(bound="rt.number")}) b WHERE starts_with(rt.number, b.prefix))
        UNION ALL
        (SELECT b2.* FROM ({_BELOW.format(bound="rt.number")}) b
         CROSS JOIN LATERAL ({_BELOW.format(bound=f"left(rt.number, {_common_length('b.prefix', 'rt.number')})")}) b2
         WHERE starts_with(rt.number, b2.prefix))
        UNION ALL
        (SELECT x.id, x.prefix, x.name, x.rate, x.connect_fee, x.mcd, x.pulse, x.grace, x.blocked
         FROM rates_raterow x WHERE x.revision_id = rv.id AND x.prefix = ANY(cx_prefixes(rt.number))
         ORDER BY length(x.prefix) DESC LIMIT 1)
        LIMIT 1
      ) rr ON true"""
_LATERAL = f"""
{_DID}LEFT JOIN LATERAL ({_PRICE.replace("{revision}", "rv.id").replace("{rows}", _PER_ROW_ROWS)}
) rating ON true"""


# A large file (see the module doc): every row's card, revision and number (routes and revisions
# hash-joined), then the greatest prefix not above each number for all rows at once, in one sort of
# the numbers among their revisions' prefixes; the numbers whose neighbour is not a prefix of them
# try the prefixes of what they share with it, as one hash join.
_SORTED_CTES = f"""rating_revisions AS (
  -- Each revision's live span, and a one-character code that puts its prefixes and numbers together
  -- in one sort whose leading bytes are the numbers' (the most recent revisions get one-byte codes).
  SELECT v.id, v.card_id, v.live_from, lead(v.live_from) OVER (PARTITION BY v.card_id ORDER BY v.live_from) AS live_until,
         chr((CASE WHEN v.n < 55264 THEN v.n + 32 ELSE v.n + 2080 END)::int) COLLATE "C" AS code
  FROM (SELECT v.*, row_number() OVER (ORDER BY v.id DESC) AS n FROM rates_raterevision v) v
), rating_keyed AS MATERIALIZED (
  SELECT k.row_no, rt.rate_card_id, rv.id AS rate_revision_id, rv.code || rt.number AS key
  FROM ({{source}}) k
  {_DID.replace("{a}", "k")}{_ROUTES_ONCE.replace("{a}", "k")}
  CROSS JOIN LATERAL (SELECT ltrim(k.dialed_number, '+') AS digits) n
{_PICK.replace("{a}", "k")}  LEFT JOIN rating_revisions rv ON rv.card_id = rt.rate_card_id AND rv.live_from <= k.start_time
    AND (k.start_time < rv.live_until OR rv.live_until IS NULL)
), rating_rates AS MATERIALIZED (
  SELECT x.id, x.revision_id, x.prefix, left(k.key, 1) || x.prefix AS key
  FROM (SELECT DISTINCT rate_revision_id, left(key, 1) AS key FROM rating_keyed) k
  JOIN rates_raterow x ON x.revision_id = k.rate_revision_id
), rating_below AS MATERIALIZED (
  -- The greatest prefix of the row's revision not above each number, tagged with its row's id: the
  -- last prefix before the number in the sort (" " sorts below every digit, so the tagged prefixes
  -- sort as the prefixes do), if it has the number's revision code.
  SELECT w.row_no, w.rate_card_id, w.rate_revision_id, substr(w.key, 2) AS number,
         CASE WHEN left(w.tagged, 1) = left(w.key, 1) THEN split_part(substr(w.tagged, 2), ' ', 1) END AS below,
         CASE WHEN left(w.tagged, 1) = left(w.key, 1) THEN split_part(w.tagged, ' ', 2)::bigint END AS rate_row_id
  FROM (
    SELECT m.row_no, m.rate_card_id, m.rate_revision_id, m.key, m.kind,
           max(m.tagged) OVER (ORDER BY m.key, m.kind ROWS UNBOUNDED PRECEDING) AS tagged
    FROM (
      SELECT row_no, rate_card_id, rate_revision_id, key, 1 AS kind, NULL::text COLLATE "C" AS tagged FROM rating_keyed
      UNION ALL
      SELECT NULL, NULL, revision_id, key, 0, key || ' ' || id FROM rating_rates
    ) m
  ) w WHERE w.kind = 1
), rating_match AS (
  SELECT b.row_no, b.rate_card_id, b.rate_revision_id, b.rate_row_id
  FROM rating_below b WHERE coalesce(starts_with(b.number, b.below), true)
  UNION ALL
  -- The longest prefix of what the number shares with its neighbour (a prefix of both), or none.
  SELECT f.row_no, f.rate_card_id, f.rate_revision_id, (max(ARRAY[f.length, r.id]) FILTER (WHERE r.id IS NOT NULL))[2]
  FROM (
    SELECT b.row_no, b.rate_card_id, b.rate_revision_id, b.number,
           generate_series(0, {_common_length("b.below", "b.number")}) AS length
    FROM rating_below b WHERE NOT starts_with(b.number, b.below)
  ) f
  LEFT JOIN rating_rates r ON r.revision_id = f.rate_revision_id AND r.prefix = left(f.number, f.length)
  GROUP BY f.row_no, f.rate_card_id, f.rate_revision_id
)"""

# What the sorted rating leaves for the import statement: each row's card, revision and rate row, and
# those rate rows (temporary tables, dropped at commit).
SORTED_ROWS, SORTED_RATES = "rating_sorted_rows", "rating_sorted_rates"
# Room to sort a large file's numbers in memory (for these statements only).
SORTED_WORK_MEM = "256MB"

_SORTED_JOINS = f"""
LEFT JOIN {SORTED_ROWS} rating_m ON rating_m.row_no = {{a}}.row_no AND {{a}}.charge IS NULL AND {{a}}.reason = ''
LEFT JOIN {SORTED_RATES} rr ON rr.id = rating_m.rate_row_id
LEFT JOIN rates_ratecard card ON card.id = rating_m.rate_card_id
LEFT JOIN LATERAL ({_PRICE.replace("{revision}", "rating_m.rate_revision_id").replace(
    "{rows}", "(SELECT rating_m.rate_card_id WHERE rating_m.row_no IS NOT NULL) rt")}
) rating ON true"""


def rating_sorted_prepare(cursor, source: str) -> None:
    """For a large file: find what prices each row of `source` (row_no, customer_id, dialed_number
    and start_time of every row that may need a price; rows that keep their own charge or have a
    problem may be among them, they are ignored), for rating_sorted_joins to read."""
    cursor.execute("SELECT current_setting('work_mem'), current_setting('enable_mergejoin')")
    work_mem, mergejoin = cursor.fetchone()
    # The plan the estimates of a fresh table would pick sorts a million rows more than once.
    cursor.execute(f"SELECT set_config('work_mem', '{SORTED_WORK_MEM}', true), "
                   "set_config('enable_mergejoin', 'off', true)")
    cursor.execute(f"DROP TABLE IF EXISTS {SORTED_ROWS}, {SORTED_RATES}")
    # With parameters (none), as `source` is written for: its %% stand for %.
    cursor.execute(f"CREATE TEMP TABLE {SORTED_ROWS} ON COMMIT DROP AS WITH "
                   + _SORTED_CTES.replace("{source}", source) + " SELECT * FROM rating_match", ())
    cursor.execute(f"CREATE TEMP TABLE {SORTED_RATES} ON COMMIT DROP AS "
                   "SELECT x.id, x.prefix, x.name, x.rate, x.connect_fee, x.mcd, x.pulse, x.grace, x.blocked "
                   f"FROM rates_raterow x WHERE x.revision_id IN (SELECT DISTINCT rate_revision_id FROM {SORTED_ROWS})")
    cursor.execute(f"ANALYZE {SORTED_ROWS}, {SORTED_RATES}")
    cursor.execute(f"SELECT set_config('work_mem', '{work_mem}', true), "
                   f"set_config('enable_mergejoin', '{mergejoin}', true)")


def rating_sorted_joins(alias: str) -> str:
    """After rating_sorted_prepare: the joins that price row `alias` as rating_lateral does."""
    return _SORTED_JOINS.replace("{a}", alias)


def rating_lateral(alias: str, *, routes_once: bool = False) -> str:
    """The joins that price row `alias` (columns customer_id, dialed_number, start_time, answer_time,
    duration, charge, reason); the columns of `rating` are rate_card_id, rate_revision_id,
    rate_prefix, rate, rate_name, rated_billed, rated_charge and rating_problem (all NULL for rows
    that keep their own charge).

    `routes_once` reads every customer's routes once for the statement, which pays off from about
    ROUTES_ONCE_FROM rows to price; otherwise each row reads its customer's."""
    return ((_ROUTES_ONCE if routes_once else _ROUTES_PER_ROW) + _LATERAL).replace("{a}", alias)
