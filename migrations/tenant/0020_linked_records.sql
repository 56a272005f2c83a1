-- Linked records: indexes the stores' own queries need.
-- A credit note settles the invoice it corrects: recomputing an invoice's
-- paid total looks its credit notes up by credit_of.
CREATE INDEX invoices_credit_of_idx ON invoices (credit_of) WHERE credit_of IS NOT NULL;
-- Linked lists are newest first with an id cursor (ids are UUIDv7).
CREATE INDEX tasks_customer_id_idx ON tasks (customer_id, id DESC);
CREATE INDEX notes_customer_id_idx ON notes (customer_id, id DESC);
CREATE INDEX payments_customer_id_idx ON payments (customer_id, id DESC);
CREATE INDEX invoices_customer_id_idx ON invoices (customer_id, id DESC);
CREATE INDEX tickets_customer_id_idx ON tickets (customer_id, id DESC);
