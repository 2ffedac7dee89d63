-- A Dolibarr-scale prod database for the benchmarks: about 300 llx_ tables
-- with foreign keys, indexes and tms triggers, most of them small, five of
-- them large. :scale is the number of megabytes of table data to aim for.
SET ROLE sbx_app;

CREATE FUNCTION update_modified_column_tms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.tms = now(); RETURN NEW; END $$;

CREATE TABLE llx_societe (rowid serial PRIMARY KEY, nom varchar(128) NOT NULL, name_alias varchar(128),
  address text, zip varchar(25), town varchar(50), email varchar(128), phone varchar(20), client smallint,
  fournisseur smallint, note_private text, datec timestamp, tms timestamp, entity integer DEFAULT 1);
CREATE TABLE llx_facture (rowid serial PRIMARY KEY, ref varchar(30) NOT NULL, fk_soc integer NOT NULL
  REFERENCES llx_societe(rowid), datef date, total_ht numeric(24,8), total_tva numeric(24,8),
  total_ttc numeric(24,8), fk_statut smallint, note_public text, note_private text, tms timestamp,
  entity integer DEFAULT 1, UNIQUE (ref, entity));
CREATE TABLE llx_facturedet (rowid serial PRIMARY KEY, fk_facture integer NOT NULL REFERENCES llx_facture(rowid),
  fk_product integer, description text, tva_tx numeric(7,4), qty real, subprice numeric(24,8),
  total_ht numeric(24,8), total_ttc numeric(24,8), rang integer, tms timestamp);
CREATE TABLE llx_actioncomm (id serial PRIMARY KEY, ref varchar(30), code varchar(50), fk_soc integer
  REFERENCES llx_societe(rowid), datep timestamp, label varchar(255), note text, extraparams jsonb, tms timestamp);
CREATE TABLE llx_ecm_files (rowid serial PRIMARY KEY, ref varchar(128), label varchar(128), share varchar(128),
  filename varchar(255), filepath varchar(255), fullpath_orig varchar(750), description text,
  src_object_type varchar(64), src_object_id integer, content bytea, tms timestamp);
CREATE TABLE llx_paiement (rowid serial PRIMARY KEY, ref varchar(30), entity integer DEFAULT 1, datec timestamp,
  tms timestamp, datep timestamp, amount numeric(24,8), fk_paiement integer NOT NULL, note text);
CREATE TABLE llx_const (rowid serial PRIMARY KEY, name varchar(180) NOT NULL, entity integer DEFAULT 1,
  value text NOT NULL, type varchar(64), visible smallint DEFAULT 1, note text, tms timestamp, UNIQUE (name, entity));
INSERT INTO llx_const (name, value) SELECT 'MAIN_CONST_' || g, 'value ' || g FROM generate_series(1, 500) g;
CREATE INDEX idx_facture_fk_soc ON llx_facture (fk_soc);
CREATE INDEX idx_facture_datef ON llx_facture (datef);
CREATE INDEX idx_facturedet_fk_facture ON llx_facturedet (fk_facture);
CREATE INDEX idx_actioncomm_fk_soc ON llx_actioncomm (fk_soc);
CREATE INDEX idx_actioncomm_datep ON llx_actioncomm (datep);
CREATE INDEX idx_ecm_files_src ON llx_ecm_files (src_object_type, src_object_id);

-- Row counts per megabyte were measured on PostgreSQL 15 (heap + indexes).
INSERT INTO llx_societe (nom, name_alias, address, zip, town, email, phone, client, fournisseur, note_private, datec)
SELECT 'Company ' || i, 'alias ' || i, i || ' rue de la Paix', lpad((i % 99999)::text, 5, '0'), 'Paris',
       'contact' || i || '@example.com', '+33 1 23 45 67 89', 1, (i % 7 = 0)::int,
       CASE WHEN i % 5 = 0 THEN repeat('note ', 20) END, now() - i * interval '1 hour'
FROM generate_series(1, greatest(100, (:scale * 5 / 100) * 2900)) i;
INSERT INTO llx_facture (ref, fk_soc, datef, total_ht, total_tva, total_ttc, fk_statut, note_public, note_private)
SELECT 'FA' || lpad(i::text, 10, '0'), 1 + i % greatest(100, (:scale * 5 / 100) * 2900), date '2020-01-01' + i % 2000,
       (i % 1000) * 1.5, (i % 1000) * 0.3, (i % 1000) * 1.8, i % 4, CASE WHEN i % 3 = 0 THEN 'Merci' END,
       CASE WHEN i % 11 = 0 THEN E'multi\nline\tnote \\ with backslash' END
FROM generate_series(1, greatest(100, (:scale * 20 / 100) * 4300)) i;
INSERT INTO llx_facturedet (fk_facture, fk_product, description, tva_tx, qty, subprice, total_ht, total_ttc, rang)
SELECT 1 + i % greatest(100, (:scale * 20 / 100) * 4300), i % 500, 'Product line ' || i || ' ' || md5(i::text),
       20.0, 1 + i % 9, (i % 200) + 0.99, ((i % 200) + 0.99) * (1 + i % 9), ((i % 200) + 0.99) * (1 + i % 9) * 1.2, i % 20
FROM generate_series(1, greatest(100, (:scale * 50 / 100) * 5400)) i;
INSERT INTO llx_actioncomm (ref, code, fk_soc, datep, label, note, extraparams)
SELECT 'AC' || i, 'AC_OTH_AUTO', 1 + i % greatest(100, (:scale * 5 / 100) * 2900), now() - i * interval '1 minute',
       'Invoice FA' || i || ' validated', repeat('Event details. ', 1 + i % 10),
       jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b'))
FROM generate_series(1, greatest(100, (:scale * 15 / 100) * 3400)) i;
INSERT INTO llx_ecm_files (ref, label, share, filename, filepath, fullpath_orig, description, src_object_type,
                           src_object_id, content)
SELECT md5(i::text), md5(i::text || 'l'), NULL, 'FA' || i || '.pdf', 'facture/FA' || i, '/tmp/FA' || i || '.pdf',
       NULL, 'facture', i, decode(repeat(md5(i::text), 16), 'hex')
FROM generate_series(1, greatest(100, (:scale * 10 / 100) * 3000)) i;

-- ~293 smaller tables, like Dolibarr's reference and module tables.
DO $$
DECLARE i integer;
BEGIN
  FOR i IN 1..293 LOOP
    -- About as many foreign keys as Dolibarr (153 on 276 tables): every 8th
    -- table references llx_societe, every 3rd its predecessor.
    EXECUTE format('CREATE TABLE llx_c_table_%s (rowid serial PRIMARY KEY, code varchar(32) NOT NULL,
      label varchar(255), fk_soc integer %s, fk_parent integer %s, amount numeric(24,8),
      active smallint DEFAULT 1, note text, tms timestamp, entity integer DEFAULT 1, UNIQUE (code, entity))', i,
      CASE WHEN i % 8 = 0 THEN 'REFERENCES llx_societe(rowid)' ELSE '' END,
      CASE WHEN i % 3 = 0 THEN format('REFERENCES llx_c_table_%s(rowid)', i - 1) ELSE '' END);
    EXECUTE format('CREATE INDEX ON llx_c_table_%s (fk_soc)', i);
    EXECUTE format('INSERT INTO llx_c_table_%s (code, label, fk_soc, amount, note)
      SELECT ''C'' || g, ''Label '' || g, 1 + g %% 50, g * 1.25, CASE WHEN g %% 2 = 0 THEN ''note'' END
      FROM generate_series(1, %s) g', i, (i * 37) % 200);
  END LOOP;
  FOR i IN 1..293 LOOP
    EXECUTE format('CREATE TRIGGER update_customer_modtime BEFORE UPDATE ON llx_c_table_%s
      FOR EACH ROW EXECUTE FUNCTION update_modified_column_tms()', i);
  END LOOP;
END $$;
CREATE TRIGGER update_customer_modtime BEFORE UPDATE ON llx_societe FOR EACH ROW EXECUTE FUNCTION update_modified_column_tms();
CREATE TRIGGER update_customer_modtime BEFORE UPDATE ON llx_facture FOR EACH ROW EXECUTE FUNCTION update_modified_column_tms();
CREATE TRIGGER update_customer_modtime BEFORE UPDATE ON llx_facturedet FOR EACH ROW EXECUTE FUNCTION update_modified_column_tms();
CREATE TRIGGER update_customer_modtime BEFORE UPDATE ON llx_const FOR EACH ROW EXECUTE FUNCTION update_modified_column_tms();

RESET ROLE;
ANALYZE;
