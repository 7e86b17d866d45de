-- Makes FerretDB 1.x (PostgreSQL backend) use indexes for lookups. Run by scripts/infra.sh as the
-- superuser in FerretDB's database at every start; idempotent.
--
-- Why: FerretDB 1.24 pushes an equality filter such as {_id: "x"} down to PostgreSQL as
-- `_jsonb -> '_id' @> '"x"'`, but the indexes it creates are btree indexes on `_jsonb -> '_id'`,
-- which cannot serve `@>`. Every findOne by _id (or by any indexed field) was therefore a
-- sequential scan of the whole collection — measured: 2.2 ms per lookup at 6.8k documents,
-- growing linearly — and PostgreSQL spent most of the stack's CPU doing them. A GIN
-- (jsonb_path_ops) index on the same expression serves `@>`: 0.02 ms on the same table.
--
-- So for every btree index FerretDB creates on `_jsonb -> '<field>'` we add a GIN index on each
-- of its fields, via an event trigger (collections are created lazily, by the services), plus a pass
-- over what already exists. FerretDB does not know about these indexes (listIndexes, dropIndexes
-- and uniqueness are unaffected); dropping a collection drops them with its table. MongoDB itself
-- (compose) needs none of this.
--
-- Without GIN's pending list (fastupdate = off): with it, new entries wait in an unsorted list
-- that every lookup scans until a vacuum merges it, and autovacuum comes rarely to an insert-only
-- collection. Measured: a lookup by _id among 418k notifications read 41 pending pages, 1.3 ms —
-- two per notification, most of what PostgreSQL spent on an order. An entry written straight
-- into the index costs the insert little: each of these indexes holds one value per document.

-- Re-runs report each index that exists already; only warnings are worth the log.
SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION public.ferretdb_add_lookup_indexes(btree_index oid) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  idx pg_index%ROWTYPE;
  key int;
  field text;
BEGIN
  SELECT * INTO idx FROM pg_index WHERE indexrelid = btree_index;
  IF NOT FOUND OR (SELECT amname FROM pg_am JOIN pg_class ON pg_class.relam = pg_am.oid WHERE pg_class.oid = btree_index) <> 'btree' THEN
    RETURN;
  END IF;
  -- Every key: a lookup by a compound index's second field (e.g. an operation key within a
  -- product's history) is as selective as the first, often more.
  FOR key IN 1..idx.indnkeyatts LOOP
    field := substring(pg_get_indexdef(btree_index, key, true) FROM $re$^\(?_jsonb -> '([^']+)'::text\)?$$re$);
    CONTINUE WHEN field IS NULL;
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
      'gin_' || md5(idx.indrelid::text || ':' || field), idx.indrelid::regclass, field);
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION public.ferretdb_lookup_indexes_on_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
BEGIN
  FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' AND object_type = 'index' LOOP
    PERFORM public.ferretdb_add_lookup_indexes(command.objid);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS ferretdb_lookup_indexes;
CREATE EVENT TRIGGER ferretdb_lookup_indexes ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION public.ferretdb_lookup_indexes_on_ddl();

-- Collections created before the trigger existed.
SELECT public.ferretdb_add_lookup_indexes(i.indexrelid)
  FROM pg_index i
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public')
   AND pg_get_indexdef(i.indexrelid) LIKE '%USING btree%_jsonb -> %';

-- Indexes made before they went without a pending list: switched, and the list they hold merged.
DO $$
DECLARE
  index regclass;
BEGIN
  FOR index IN
    SELECT c.oid::regclass FROM pg_class c JOIN pg_am a ON a.oid = c.relam AND a.amname = 'gin'
     WHERE c.relname LIKE 'gin\_%' AND NOT coalesce(c.reloptions @> ARRAY['fastupdate=off'], false)
  LOOP
    EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', index);
    PERFORM gin_clean_pending_list(index);
  END LOOP;
END $$;
