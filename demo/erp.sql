-- A small Dolibarr-like ERP for the demo: third parties, invoices with lines,
-- payments, constants, users with an instance-bound API key, and the
-- modification-time triggers Dolibarr uses. Created as the app role.
SET ROLE sbx_app;

CREATE FUNCTION update_modified_column_tms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.tms = now();
  RETURN NEW;
END $$;

CREATE TABLE llx_const (rowid serial PRIMARY KEY, name varchar(180) UNIQUE NOT NULL, value text, tms timestamp);
CREATE TABLE llx_user (rowid serial PRIMARY KEY, login varchar(50) UNIQUE NOT NULL, api_key varchar(128), tms timestamp);
CREATE TABLE llx_societe (rowid serial PRIMARY KEY, nom varchar(128) NOT NULL, email varchar(128), client smallint,
                          tms timestamp);
CREATE TABLE llx_facture (rowid serial PRIMARY KEY, ref varchar(30) UNIQUE NOT NULL,
                          fk_soc integer NOT NULL REFERENCES llx_societe(rowid), total_ttc numeric(24,8),
                          datef date, note_private text, tms timestamp);
CREATE TABLE llx_facturedet (rowid serial PRIMARY KEY, fk_facture integer NOT NULL REFERENCES llx_facture(rowid),
                             description text, qty real, subprice numeric(24,8), tms timestamp);
CREATE TABLE llx_paiement (rowid serial PRIMARY KEY, fk_facture integer REFERENCES llx_facture(rowid),
                           amount numeric(24,8), datep timestamp, tms timestamp);
CREATE INDEX idx_facture_fk_soc ON llx_facture (fk_soc);
CREATE INDEX idx_facturedet_fk_facture ON llx_facturedet (fk_facture);

INSERT INTO llx_const (name, value) VALUES ('MAIN_INFO_SOCIETE_NOM', 'Arcodange'), ('MAIN_LANG_DEFAULT', 'fr_FR'),
  ('MAIN_THEME', 'eldy'), ('MAIN_MODULE_API', '1');
INSERT INTO llx_user (login, api_key) VALUES ('admin', 'dolcrypt:AES-256-CTR:0123456789abcdef:cHJvZC1vbmx5'),
  ('ai_agent', NULL);
INSERT INTO llx_societe (nom, email, client)
SELECT 'Customer ' || i, 'c' || i || '@example.com', 1 FROM generate_series(1, 2000) i;
INSERT INTO llx_facture (ref, fk_soc, total_ttc, datef, note_private)
SELECT 'FA2401-' || lpad(i::text, 5, '0'), 1 + i % 2000, round((random() * 1000)::numeric, 2),
       date '2024-01-01' + i % 365, CASE WHEN i % 10 = 0 THEN E'multi\nline\tnote' END
FROM generate_series(1, 20000) i;
INSERT INTO llx_facturedet (fk_facture, description, qty, subprice)
SELECT 1 + i % 20000, 'Line ' || i, 1 + i % 5, round((random() * 200)::numeric, 2) FROM generate_series(1, 100000) i;
INSERT INTO llx_paiement (fk_facture, amount, datep) SELECT i, 10, now() FROM generate_series(1, 15000) i;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['llx_const', 'llx_user', 'llx_societe', 'llx_facture', 'llx_facturedet', 'llx_paiement'] LOOP
    EXECUTE format('CREATE TRIGGER update_customer_modtime BEFORE UPDATE ON %I
                    FOR EACH ROW EXECUTE FUNCTION update_modified_column_tms()', t);
  END LOOP;
END $$;

RESET ROLE;
