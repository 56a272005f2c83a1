package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
	if isNew || before.CustomerID != t.CustomerID {
		if err := raiseNewTicketForVIP(ctx, tx, t); err != nil {
			return err
		}
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

// vipTicketsSQL is the one definition of VIP service (DESIGN §1): open
// tickets of customers in a VIP group, or whose CLV is at or above $1 (the
// top CLV decile as a scoring run found it; 0 turns that rule off), are
// raised to at least high, with the reason recorded — the VIP group's name
// first. Tickets already high or urgent, and closed ones, are left alone.
// $2 limits it to those tickets; null means every ticket. Scoring runs
// apply it to every open ticket once scores are written; a ticket write
// applies it to the ticket written, against the last finished run's
// threshold. It returns the id, priority and reason of each ticket raised.
const vipTicketsSQL = `
	update tickets t set priority = 'high', updated_at = now(), priority_reason = r.reason
	from (
		select x.id, coalesce(
			(select 'VIP customer (group ' || min(g.name) || ')' from customer_groups cg join groups g on g.id = cg.group_id
			 where cg.customer_id = x.customer_id and g.is_vip),
			(select 'top 10% of customers by lifetime value' from scores s
			 where s.customer_id = x.customer_id and $1::bigint > 0 and s.clv >= $1::bigint)) as reason
		from tickets x
		where x.status <> 'closed' and x.priority in ('low', 'normal') and ($2::uuid[] is null or x.id = any($2::uuid[]))
	) r
	where t.id = r.id and r.reason is not null
	returning t.id, t.priority, t.priority_reason`

// raiseTicketsForVIP applies vipTicketsSQL: to every open ticket when ids
// is nil, else to those tickets. clvThreshold is the top-decile CLV (minor
// units; 0 leaves only the VIP-group rule).
func raiseTicketsForVIP(ctx context.Context, tx *sqlx.Tx, clvThreshold int64, ids []uuid.UUID) (map[uuid.UUID][2]string, error) {
	var arg any
	if ids != nil {
		arg = pq.Array(uuidStrings(ids))
	}
	rows, err := tx.QueryContext(ctx, vipTicketsSQL, clvThreshold, arg)
	if err != nil {
		return nil, fmt.Errorf("raise VIP tickets: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID][2]string{}
	for rows.Next() {
		var id uuid.UUID
		var prio, reason string
		if err := rows.Scan(&id, &prio, &reason); err != nil {
			return nil, err
		}
		out[id] = [2]string{prio, reason}
	}
	return out, rows.Err()
}

// lastVIPThreshold is the top-decile CLV of the last finished scoring run
// (0 before the first).
func lastVIPThreshold(ctx context.Context, tx *sqlx.Tx) (int64, error) {
	var threshold int64
	err := tx.GetContext(ctx, &threshold, `select coalesce((select vip_clv_threshold from scoring_runs
		where status = 'done' order by finished_at desc nulls last, id desc limit 1), 0)`)
	return threshold, err
}

// raiseNewTicketForVIP raises a ticket just opened for (or moved to) a
// customer by the VIP rule, against the top-decile threshold of the last
// finished scoring run, and updates t to what was stored.
func raiseNewTicketForVIP(ctx context.Context, tx *sqlx.Tx, t *core.Ticket) error {
	if t.Status == "closed" || (t.Priority != "low" && t.Priority != "normal") {
		return nil
	}
	threshold, err := lastVIPThreshold(ctx, tx)
	if err != nil {
		return err
	}
	raised, err := raiseTicketsForVIP(ctx, tx, threshold, []uuid.UUID{t.ID})
	if err != nil {
		return err
	}
	if r, ok := raised[t.ID]; ok {
		t.Priority, t.PriorityReason = r[0], r[1]
		return tx.GetContext(ctx, &t.UpdatedAt, `select updated_at from tickets where id = $1`, t.ID)
	}
	return nil
}
