-- A typical BDD scenario against a Dolibarr(-like) sandbox: a customer, an
-- invoice with 5 lines, a payment, and 2 updates elsewhere (firing the tms
-- triggers). Used by the Dolibarr reset test and bench/reset.
BEGIN;
INSERT INTO llx_societe (nom, client) VALUES ('BDD scenario customer', 1);
INSERT INTO llx_facture (ref, fk_soc, total_ttc)
VALUES ('FA-BDD-' || txid_current(), currval(pg_get_serial_sequence('llx_societe', 'rowid')), 120);
INSERT INTO llx_facturedet (fk_facture, description, qty, subprice)
SELECT currval(pg_get_serial_sequence('llx_facture', 'rowid')), 'line ' || g, 1, 20 FROM generate_series(1, 5) g;
INSERT INTO llx_paiement (ref, datep, amount, fk_paiement) VALUES ('PAY-BDD', now(), 120, 1);
UPDATE llx_const SET value = value || '' WHERE rowid IN (SELECT rowid FROM llx_const ORDER BY rowid LIMIT 2);
COMMIT;
