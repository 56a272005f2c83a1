package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const ticketCols = `id, customer_id, contact_id, subject, body, status, priority, priority_reason, department, opened_at, closed_at, satisfaction, external_ref, created_at, updated_at`

// CreateTicket opens a ticket for a customer the actor can see. A ticket
// whose external_ref is known updates that ticket instead (an upsert); a
// replay that changes nothing writes nothing. The customer's open-ticket
// count follows in the same transaction.
func (s *Store) CreateTicket(ctx context.Context, customerID uuid.UUID, u core.TicketUpdate) (t core.Ticket, created bool, err error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return t, false, err
	}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.customerVisible(ctx, tx, customerID); err != nil {
			return err
		}
		lrTrimRef(&u.ExternalRef)
		existing, err := lrByRef(ctx, tx, "tickets", u.ExternalRef)
		if err != nil {
			return err
		}
		if existing != nil {
			if err := sc.getLinked(ctx, tx, &t, "tickets", ticketCols, *existing, true); err != nil {
				return err
			}
			if t.CustomerID != customerID {
				return lrRefElsewhere("ticket")
			}
			return sc.saveTicket(ctx, tx, &t, u, false)
		}
		created = true
		t = core.Ticket{ID: core.NewID(), CustomerID: customerID, Status: "open", Priority: "normal", OpenedAt: lrMicro(time.Now())}
		return sc.saveTicket(ctx, tx, &t, u, true)
	})
	return t, created, err
}

// Ticket returns one ticket.
func (s *Store) Ticket(ctx context.Context, id uuid.UUID) (core.Ticket, error) {
	var t core.Ticket
	err := s.lrReadOne(ctx, &t, "tickets", ticketCols, id)
	return t, err
}

// Tickets lists tickets, newest first.
func (s *Store) Tickets(ctx context.Context, f LinkFilter) (LinkPage[core.Ticket], error) {
	return lrList[core.Ticket](ctx, s, "tickets", ticketCols, f)
}

// UpdateTicket changes a ticket.
func (s *Store) UpdateTicket(ctx context.Context, id uuid.UUID, u core.TicketUpdate) (core.Ticket, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Ticket{}, err
	}
	var t core.Ticket
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getLinked(ctx, tx, &t, "tickets", ticketCols, id, true); err != nil {
			return err
		}
		lrTrimRef(&u.ExternalRef)
		return sc.saveTicket(ctx, tx, &t, u, false)
	})
	return t, err
}

// DeleteTicket deletes a ticket.
func (s *Store) DeleteTicket(ctx context.Context, id uuid.UUID) error {
	return s.lrDelete(ctx, "tickets", id)
}

func (sc lrScope) saveTicket(ctx context.Context, tx *sqlx.Tx, t *core.Ticket, u core.TicketUpdate, isNew bool) error {
	t.OpenedAt = lrMicro(t.OpenedAt)
	t.ClosedAt = lrMicroPtr(t.ClosedAt)
	before := *t
	u.Apply(t, time.Now())
	t.OpenedAt = lrMicro(t.OpenedAt)
	t.ClosedAt = lrMicroPtr(t.ClosedAt)
	if err := t.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *t) {
		return nil
	}
	if t.ContactID != nil {
		var n int
		if err := tx.GetContext(ctx, &n, `select count(*) from contacts where id = $1 and customer_id = $2`, *t.ContactID, t.CustomerID); err != nil {
			return err
		}
		if n == 0 {
			return core.Invalid(map[string]string{"contact_id": "must be a contact of the ticket's customer"})
		}
	}
	err := tx.GetContext(ctx, t, `insert into tickets (id, customer_id, contact_id, subject, body, status, priority, priority_reason, department, opened_at, closed_at, satisfaction, external_ref)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		on conflict (id) do update set contact_id = excluded.contact_id, subject = excluded.subject, body = excluded.body,
			status = excluded.status, priority = excluded.priority, priority_reason = excluded.priority_reason,
			department = excluded.department, opened_at = excluded.opened_at, closed_at = excluded.closed_at,
			satisfaction = excluded.satisfaction, external_ref = excluded.external_ref, updated_at = now()
		returning `+ticketCols,
		t.ID, t.CustomerID, t.ContactID, t.Subject, t.Body, t.Status, t.Priority, t.PriorityReason, t.Department, t.OpenedAt, t.ClosedAt, t.Satisfaction, t.ExternalRef)
	if err != nil {
		return lrUnique(err, "external_ref already used")
	}
	if isNew || before.Status != t.Status {
		return RecomputeFactsTx(ctx, tx, []uuid.UUID{t.CustomerID})
	}
	return nil
}

// lrTrimRef trims an external ref; an empty one clears it.
func lrTrimRef(ref **string) {
	if *ref != nil {
		v := strings.TrimSpace(**ref)
		*ref = &v
	}
}

func lrRefElsewhere(kind string) error {
	return &core.Error{Code: core.CodeConflict, Message: "external_ref names a " + kind + " of another customer",
		Fields: map[string]string{"external_ref": "belongs to another customer's " + kind}}
}
