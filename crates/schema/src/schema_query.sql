-- The schema cache in one statement: $1 is the exposed schemas (text[]); the result is one row with one text
-- column holding the JSON document that introspect::decode reads.
--
-- Type names, column defaults and regclass texts must not depend on the caller's search_path, so the
-- statement empties it first (transaction-local, as PostgREST's `set local schema ''`): format_type,
-- ::regtype and pg_get_expr then qualify every object outside pg_catalog. The CASE makes the order certain:
-- its condition runs before the sub-select in its branch, and sub-selects are evaluated when first used.
-- Only pg_catalog is read (information_schema views are slow on big catalogs); the JSON is aggregated here.
SELECT CASE WHEN set_config('search_path', '', true) IS NOT NULL THEN (
WITH RECURSIVE
schemas AS (
  SELECT n.oid, n.nspname
  FROM unnest($1::text[]) AS s(name)
  JOIN pg_namespace n ON n.nspname = s.name
),
-- The ultimate base type of every domain (domains over domains included).
domain_bases(oid, base) AS (
  SELECT t.oid, t.typbasetype FROM pg_type t WHERE t.typtype = 'd'
  UNION ALL
  SELECT d.oid, b.typbasetype
  FROM domain_bases d JOIN pg_type b ON b.oid = d.base
  WHERE b.typtype = 'd'
),
bases AS (
  SELECT d.oid, d.base
  FROM domain_bases d JOIN pg_type b ON b.oid = d.base
  WHERE b.typtype <> 'd'
),
-- Rows that belong to a relation are read with correlated sub-selects, which always run as nested loops
-- over the catalogs' indexes: catalog statistics are often stale, and a join planned for one row that meets
-- ten thousand is what makes such queries take minutes. Relation, column and constraint numbers are turned
-- into names by decode, which saves a lookup per key column here.
rels AS MATERIALIZED (
  SELECT c.oid, c.relname, c.relkind, s.nspname
  FROM pg_class c
  JOIN schemas s ON s.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p') AND NOT c.relispartition
),
-- Each (type, modifier) pair used by a column is described once; columns name it by (oid, modifier), which
-- keeps format_type calls and the document small on big schemas. OFFSET 0 keeps the sub-select correlated
-- (an index scan per relation): as a join it becomes a scan of all of pg_attribute, which costs more even
-- when every relation is exposed.
col_types AS (
  SELECT DISTINCT a.atttypid, a.atttypmod
  FROM rels r
  CROSS JOIN LATERAL (
    SELECT a.atttypid, a.atttypmod FROM pg_attribute a
    WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    OFFSET 0
  ) a
),
types AS (
  SELECT json_agg(json_build_object(
    'oid', ct.atttypid::int8,
    'typmod', ct.atttypmod,
    'data_type', format_type(ct.atttypid, ct.atttypmod),
    'nominal_type', format_type(ct.atttypid, NULL),
    'base_type', format_type(COALESCE(b.base, ct.atttypid), NULL),
    -- information_schema._pg_char_max_length(_pg_truetypid(..), _pg_truetypmod(..)), inlined.
    'max_length', CASE
      WHEN m.typmod = -1 THEN NULL
      WHEN m.typid IN (1042, 1043) THEN m.typmod - 4
      WHEN m.typid IN (1560, 1562) THEN m.typmod
    END,
    'not_null', t.typtype = 'd' AND t.typnotnull,
    'default', CASE WHEN t.typbasetype <> 0 THEN pg_get_expr(t.typdefaultbin, 0) END,
    'enum_values', COALESCE(
      (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
       WHERE e.enumtypid = COALESCE(b.base, ct.atttypid)),
      '[]'::json)
  )) AS doc
  FROM col_types ct
  JOIN pg_type t ON t.oid = ct.atttypid
  LEFT JOIN bases b ON b.oid = ct.atttypid
  CROSS JOIN LATERAL (SELECT
    CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE ct.atttypid END AS typid,
    CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE ct.atttypmod END AS typmod
  ) m
),
tables AS (
  SELECT json_agg(json_build_object(
    'oid', r.oid::int8,
    'schema', r.nspname,
    'name', r.relname,
    'kind', CASE r.relkind
      WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view'
      WHEN 'f' THEN 'foreign_table' ELSE 'partitioned_table' END,
    -- pg_relation_is_updatable's bits are 1 << CMD_x: 8 insert, 4 update, 16 delete; include_triggers
    -- counts INSTEAD OF triggers (and rules).
    'insertable', r.relkind IN ('r', 'p') OR (r.relkind IN ('v', 'f') AND (u.upd & 8) = 8),
    'updatable', r.relkind IN ('r', 'p') OR (r.relkind IN ('v', 'f') AND (u.upd & 4) = 4),
    'deletable', r.relkind IN ('r', 'p') OR (r.relkind IN ('v', 'f') AND (u.upd & 16) = 16),
    -- [column number (0 for the relation), comment]
    'comments', COALESCE((
      SELECT json_agg(json_build_array(d.objsubid, d.description))
      FROM pg_description d
      WHERE d.objoid = r.oid AND d.classoid = 'pg_class'::regclass
    ), '[]'::json),
    -- [kind (p or u), column numbers in key order]
    'keys', COALESCE((
      SELECT json_agg(json_build_array(con.contype, con.conkey))
      FROM pg_constraint con
      WHERE con.conrelid = r.oid AND con.contype IN ('p', 'u')
    ), '[]'::json),
    -- [number, name, type oid, type modifier, not null, default, generated]. As PostgREST, the default of an
    -- identity BY DEFAULT column is its nextval() and a stored generated column has none; decode applies a
    -- domain's default when the column has none. Unordered: decode sorts them by number, which is cheaper
    -- than an ordered aggregate per relation.
    'columns', COALESCE((
      SELECT json_agg(json_build_array(
        a.attnum,
        a.attname,
        a.atttypid::int8,
        a.atttypmod,
        a.attnotnull,
        CASE
          WHEN a.attidentity = 'd' THEN (
            SELECT format('nextval(%L)', dep.objid::regclass)
            FROM pg_depend dep
            WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = a.attrelid
              AND dep.refobjsubid = a.attnum AND dep.classid = 'pg_class'::regclass
              AND dep.deptype = 'i'
            LIMIT 1)
          WHEN a.atthasdef AND a.attgenerated = '' THEN (
            -- No relation context: defaults cannot refer to columns, and opening every table is slow.
            SELECT pg_get_expr(ad.adbin, 0) FROM pg_attrdef ad
            WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum)
        END,
        a.attgenerated <> '' OR a.attidentity = 'a'
      ))
      FROM pg_attribute a
      WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    ), '[]'::json)
  )) AS doc
  FROM rels r
  CROSS JOIN LATERAL (
    SELECT CASE WHEN r.relkind IN ('v', 'f') THEN pg_relation_is_updatable(r.oid::regclass, true) END AS upd
  ) u
),
-- Views of the exposed schemas and, through their rules' dependencies, the views they read from: decode
-- follows each view column to the table column it comes from (PostgREST's view key dependencies), reading
-- the top-level target list of the stored query tree.
view_closure(oid) AS (
  SELECT r.oid FROM rels r WHERE r.relkind IN ('v', 'm')
  UNION
  SELECT d.refobjid
  FROM view_closure v
  JOIN pg_rewrite rw ON rw.ev_class = v.oid
  JOIN pg_depend d
    ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass
  JOIN pg_class c ON c.oid = d.refobjid AND c.relkind IN ('v', 'm')
),
-- The tables those views read from.
view_bases AS (
  SELECT DISTINCT d.refobjid AS oid
  FROM view_closure v
  JOIN pg_rewrite rw ON rw.ev_class = v.oid
  JOIN pg_depend d
    ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass
  JOIN pg_class c ON c.oid = d.refobjid AND c.relkind IN ('r', 'p', 'f')
),
views AS (
  -- [view oid, query tree of its _RETURN rule]
  SELECT json_agg(json_build_array(v.oid::int8, rw.ev_action::text)) AS doc
  FROM view_closure v
  JOIN pg_rewrite rw ON rw.ev_class = v.oid AND rw.rulename = '_RETURN'
),
-- Foreign keys with at least one end among the exposed relations or the tables their views read from;
-- copies of a partitioned table's key on its partitions (conparentid <> 0) are left out. The ORs keep the IN
-- lists hashed sub-plans.
fks AS MATERIALIZED (
  SELECT con.conname, con.conrelid, con.conkey, con.confrelid, con.confkey
  FROM pg_constraint con
  WHERE con.contype = 'f' AND con.conparentid = 0
    AND (con.conrelid IN (SELECT oid FROM rels) OR con.confrelid IN (SELECT oid FROM rels)
      OR con.conrelid IN (SELECT oid FROM view_bases) OR con.confrelid IN (SELECT oid FROM view_bases))
),
foreign_keys AS (
  -- [name, relation oid, column numbers, referenced relation oid, referenced column numbers]
  SELECT json_agg(json_build_array(f.conname, f.conrelid::int8, f.conkey, f.confrelid::int8, f.confkey)) AS doc
  FROM fks f
),
-- The other ends of those keys and the tables views read from, outside the exposed schemas: names, columns and
-- keys only.
other_relations AS (
  SELECT json_agg(json_build_object(
    'oid', c.oid::int8,
    'schema', n.nspname,
    'name', c.relname,
    'keys', COALESCE((
      SELECT json_agg(json_build_array(con.contype, con.conkey))
      FROM pg_constraint con
      WHERE con.conrelid = c.oid AND con.contype IN ('p', 'u')
    ), '[]'::json),
    'columns', COALESCE((
      SELECT json_agg(json_build_array(a.attnum, a.attname) ORDER BY a.attnum)
      FROM pg_attribute a
      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    ), '[]'::json)
  )) AS doc
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid IN (
    SELECT x.oid
    FROM (
      SELECT f.conrelid FROM fks f UNION SELECT f.confrelid FROM fks f UNION SELECT b.oid FROM view_bases b
    ) AS x(oid)
    WHERE x.oid NOT IN (SELECT oid FROM rels))
),
-- Domains named like a media type (RFC 6838) or `*/*`: PostgREST's media type handlers. `binary`: the
-- domain is over bytea (the body is sent as bytes, not text).
media_types AS (
  SELECT t.oid, lower(t.typname) AS media_type, COALESCE(b.base, t.typbasetype) = 'bytea'::regtype AS binary
  FROM pg_type t
  LEFT JOIN bases b ON b.oid = t.oid
  WHERE t.typtype = 'd'
    AND (t.typname ~* '^[A-Za-z0-9.-]+/[A-Za-z0-9.\+-]+$' OR t.typname = '*/*')
),
-- Aggregates in the exposed schemas that return a media-type domain and take one argument of a relation's
-- row type (or anyelement): handlers for reads of that relation and of functions returning its rows.
-- [aggregate schema, name, target schema, target name (null: anyelement), media type, binary]
media_handlers AS (
  SELECT json_agg(json_build_array(
    s.nspname, p.proname,
    CASE WHEN arg.oid <> 'anyelement'::regtype THEN arg_ns.nspname END,
    CASE WHEN arg.oid <> 'anyelement'::regtype THEN arg.typname END,
    m.media_type, m.binary
  ) ORDER BY s.nspname, p.proname, p.oid) AS doc
  FROM pg_proc p
  JOIN schemas s ON s.oid = p.pronamespace
  JOIN media_types m ON m.oid = p.prorettype
  JOIN pg_type arg ON arg.oid = p.proargtypes[0]
  JOIN pg_namespace arg_ns ON arg_ns.oid = arg.typnamespace
  WHERE p.prokind = 'a' AND p.pronargs = 1
    AND (arg.oid = 'anyelement'::regtype
         OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = arg.typrelid AND c.relkind IN ('r', 'v', 'm', 'f', 'p')))
),
-- Domain representations: implicit casts by a function from a domain to json or text, or from json or text
-- to a domain, whose function the caller may execute. [source type, target type, function schema, name]
representations AS (
  SELECT json_agg(json_build_array(
    format_type(c.castsource, NULL), format_type(c.casttarget, NULL), fn_ns.nspname, fn.proname
  ) ORDER BY c.oid) AS doc
  FROM pg_cast c
  JOIN pg_type src ON src.oid = c.castsource
  JOIN pg_type dst ON dst.oid = c.casttarget
  JOIN pg_proc fn ON fn.oid = c.castfunc
  JOIN pg_namespace fn_ns ON fn_ns.oid = fn.pronamespace
  WHERE c.castcontext = 'i' AND c.castmethod = 'f'
    AND has_function_privilege(c.castfunc, 'execute')
    AND ((src.typtype = 'd' AND c.casttarget IN ('json'::regtype, 'text'::regtype))
      OR (dst.typtype = 'd' AND c.castsource IN ('json'::regtype, 'text'::regtype)))
),
procs AS (
  SELECT p.*, s.nspname
  FROM pg_proc p
  JOIN schemas s ON s.oid = p.pronamespace
  WHERE p.prokind = 'f'
),
-- As PostgREST: the IN, INOUT and VARIADIC parameters; a function with unnamed parameters is callable only
-- when it has a single one, of type bytea, json, jsonb, text or xml (a raw request body). An empty name in
-- proargnames counts as a name there, as in PostgREST.
routines AS (
  SELECT json_agg(json_build_object(
    'schema', p.nspname,
    'name', p.proname,
    'description', (
      SELECT d.description FROM pg_description d
      WHERE d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0),
    'params', a.doc,
    'returns', json_build_object(
      'type_name', json_build_object(
        'schema', (SELECT n.nspname FROM pg_namespace n WHERE n.oid = t.typnamespace),
        'name', COALESCE((SELECT c.relname FROM pg_class c WHERE c.oid = t.typrelid), t.typname)),
      'is_setof', p.proretset,
      -- OUT, INOUT and TABLE parameters make the result composite.
      'is_composite', t.typtype = 'c' OR COALESCE(p.proargmodes::text[] && '{t,b,o}', false),
      'is_composite_alias', t.typtype = 'c' AND rt.base IS NOT NULL,
      -- A function returning a media-type domain handles that media type itself (PostgREST's handlers).
      'media_type', (SELECT m.media_type FROM media_types m WHERE m.oid = p.prorettype AND NOT p.proretset),
      'media_binary', COALESCE((SELECT m.binary FROM media_types m WHERE m.oid = p.prorettype), false)
    ),
    'volatility', CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
    'settings', COALESCE((
      SELECT json_agg(json_build_array(split_part(cfg, '=', 1), substr(cfg, strpos(cfg, '=') + 1)) ORDER BY o)
      FROM unnest(p.proconfig) WITH ORDINALITY AS _(cfg, o)
    ), '[]'::json)
  ) ORDER BY p.nspname, p.proname, p.oid) AS doc
  FROM procs p
  CROSS JOIN LATERAL (
    SELECT
      COALESCE(json_agg(json_build_object(
        'name', COALESCE(x.name, ''),
        'data_type', format_type(x.type, NULL),
        'required', x.input_no <= p.pronargs - p.pronargdefaults,
        'variadic', COALESCE(x.mode = 'v', false)
      ) ORDER BY x.idx), '[]'::json) AS doc,
      CASE count(*) - count(x.name)
        WHEN 0 THEN true
        WHEN 1 THEN (array_agg(x.type))[1] IN
          ('bytea'::regtype, 'json'::regtype, 'jsonb'::regtype, 'text'::regtype, 'xml'::regtype)
        ELSE false
      END AS callable
    FROM (
      SELECT y.*, row_number() OVER (ORDER BY y.idx) AS input_no
      FROM unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[]), p.proargnames, p.proargmodes)
        WITH ORDINALITY AS y(type, name, mode, idx)
      WHERE COALESCE(y.mode, 'i') IN ('i', 'b', 'v')
    ) x
  ) a
  -- A domain result is described by its base type.
  CROSS JOIN LATERAL (SELECT (SELECT b.base FROM bases b WHERE b.oid = p.prorettype) AS base) rt
  JOIN pg_type t ON t.oid = COALESCE(rt.base, p.prorettype)
  WHERE t.oid <> 'trigger'::regtype AND a.callable
),
-- PostgREST's computed relationships: functions of any schema with one argument of a relation's row type
-- that return a relation's row type, both relations in the exposed schemas (partitions included, as there).
-- The result is to-one unless it is SETOF without ROWS 1.
-- [function schema, function name, argument relation schema, name, result relation schema, name, to-one]
computed_relationships AS (
  SELECT json_agg(json_build_array(
    fn.nspname, p.proname, src_ns.nspname, src.typname, dst_ns.nspname, dst.typname,
    NOT p.proretset OR p.prorows = 1
  ) ORDER BY fn.nspname, p.proname, p.oid) AS doc
  FROM pg_proc p
  JOIN pg_namespace fn ON fn.oid = p.pronamespace
  JOIN pg_type src ON src.oid = p.proargtypes[0]
  JOIN pg_class src_rel ON src_rel.oid = src.typrelid AND src_rel.relkind IN ('r', 'v', 'm', 'f', 'p')
  JOIN schemas src_ns ON src_ns.oid = src.typnamespace
  JOIN pg_type dst ON dst.oid = p.prorettype
  JOIN pg_class dst_rel ON dst_rel.oid = dst.typrelid AND dst_rel.relkind IN ('r', 'v', 'm', 'f', 'p')
  JOIN schemas dst_ns ON dst_ns.oid = dst.typnamespace
  WHERE p.pronargs = 1
)
SELECT json_build_object(
  'types', COALESCE((SELECT doc FROM types), '[]'::json),
  'tables', COALESCE((SELECT doc FROM tables), '[]'::json),
  'foreign_keys', COALESCE((SELECT doc FROM foreign_keys), '[]'::json),
  'other_relations', COALESCE((SELECT doc FROM other_relations), '[]'::json),
  'views', COALESCE((SELECT doc FROM views), '[]'::json),
  'routines', COALESCE((SELECT doc FROM routines), '[]'::json),
  'computed_relationships', COALESCE((SELECT doc FROM computed_relationships), '[]'::json),
  'media_handlers', COALESCE((SELECT doc FROM media_handlers), '[]'::json),
  'representations', COALESCE((SELECT doc FROM representations), '[]'::json)
)::text
) END
