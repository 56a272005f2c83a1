package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// Profile returns the 360° read model of a customer the actor may see, in
// one read-only transaction: the customer with its links, contacts, the
// counts of everything hanging off it, its money totals (in the tenant's
// currency) and the custom field definitions that label its values.
// Recent records, referrals received and the timeline's first page come
// from the linked-record sections (linkedProfile, timeline.go).
func (s *Store) Profile(ctx context.Context, id uuid.UUID) (core.Profile, error) {
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return core.Profile{}, err
	}
	seen, err := taskSeenOf(ctx)
	if err != nil {
		return core.Profile{}, err
	}
	var p core.Profile
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		c, row, err := getCustomer(ctx, tx, id, false)
		if err != nil {
			return err
		}
		p.Customer = c
		if p.Contacts, err = customerContacts(ctx, tx, id); err != nil {
			return err
		}
		var n struct {
			Contacts    int `db:"contacts"`
			Notes       int `db:"notes"`
			OpenTasks   int `db:"open_tasks"`
			Tickets     int `db:"tickets"`
			OpenTickets int `db:"open_tickets"`
			Contracts   int `db:"contracts"`
			Proposals   int `db:"proposals"`
			Invoices    int `db:"invoices"`
			Payments    int `db:"payments"`
			Referrals   int `db:"referrals"`
			Rewards     int `db:"rewards"`
		}
		err = tx.GetContext(ctx, &n, `select
			(select count(*) from contacts where customer_id = $1) as contacts,
			(select count(*) from notes where customer_id = $1) as notes,
			(select count(*) from tasks where customer_id = $1 and status in ('open', 'snoozed') and `+seen.cond(2)+`) as open_tasks,
			(select count(*) from tickets where customer_id = $1) as tickets,
			(select count(*) from tickets where customer_id = $1 and status <> 'closed') as open_tickets,
			(select count(*) from contracts where customer_id = $1) as contracts,
			(select count(*) from proposals where customer_id = $1) as proposals,
			(select count(*) from invoices where customer_id = $1) as invoices,
			(select count(*) from payments where customer_id = $1) as payments,
			(select count(*) from referrals where referrer_id = $1) as referrals,
			(select count(*) from rewards where customer_id = $1) as rewards`, append([]any{id}, seen.args()...)...)
		if err != nil {
			return fmt.Errorf("count profile records: %w", err)
		}
		p.Counts = core.ProfileCounts{Contacts: n.Contacts, Notes: n.Notes, OpenTasks: n.OpenTasks, Tickets: n.Tickets,
			OpenTickets: n.OpenTickets, Contracts: n.Contracts, Proposals: n.Proposals, Invoices: n.Invoices,
			Payments: n.Payments, Referrals: n.Referrals, Rewards: n.Rewards, OverdueInvoices: row.OverdueInvoices}
		money := func(v int64) core.Money { return core.Money{Amount: v, Currency: t.Currency} }
		p.Totals = core.ProfileTotals{
			Invoiced: money(row.InvoicedTotal), Paid: money(row.PaidTotal),
			Outstanding: money(row.OutstandingTotal), Overdue: money(row.OverdueTotal),
			FirstPurchaseOn: cuDay(row.FirstPurchaseOn), LastPurchaseOn: cuDay(row.LastPurchaseOn),
		}
		if err := linkedProfile(ctx, tx, seen, id, &p); err != nil {
			return err
		}
		p.Fields, err = customFieldDefs(ctx, tx, "")
		return err
	})
	return p, err
}
