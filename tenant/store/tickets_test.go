package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// lrRecords is one of each linked record on one customer.
type lrRecords struct {
	ticket, contract, proposal, invoice, payment, note, reward, referral, task uuid.UUID
}

func (e *lrEnv) oneOfEach(t *testing.T, ctx context.Context, cust, other uuid.UUID, number string) lrRecords {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	tk, _, err := e.st.CreateTicket(ctx, cust, core.TicketUpdate{Subject: lrP("s")})
	must(err)
	c, _, err := e.st.CreateContract(ctx, cust, core.ContractUpdate{Subject: lrP("c"), Currency: lrP("USD"), StartOn: lrDay("2025-01-01")})
	must(err)
	p, _, err := e.st.CreateProposal(ctx, cust, core.ProposalUpdate{Subject: lrP("p"), Currency: lrP("USD"), Total: lrP(int64(100))})
	must(err)
	inv, _, err := e.st.CreateInvoice(ctx, core.InvoiceUpdate{CustomerID: &cust, Number: lrP(number), IssuedOn: lrDay("2025-01-01"), Currency: lrP("USD"), Total: lrP(int64(100))})
	must(err)
	pay, _, err := e.st.CreatePayment(ctx, core.PaymentUpdate{InvoiceID: &inv.ID, Amount: lrP(int64(50)), Currency: lrP("USD"), PaidOn: lrDay("2025-01-02")})
	must(err)
	n, err := e.st.CreateNote(ctx, cust, core.NoteUpdate{Body: lrP("یادداشت")})
	must(err)
	ref, err := e.st.CreateReferral(ctx, core.ReferralUpdate{ReferrerID: &cust, ReferredID: &other})
	must(err)
	rw, err := e.st.CreateReward(ctx, cust, core.RewardUpdate{Kind: lrP("credit"), Amount: lrP(int64(500)), Currency: lrP("USD"), ReferralID: &ref.ID})
	must(err)
	ts, err := e.st.CreateTask(ctx, lrAllTasks, core.TaskUpdate{Title: lrP("call"), CustomerID: &cust})
	must(err)
	return lrRecords{tk.ID, c.ID, p.ID, inv.ID, pay.ID, n.ID, rw.ID, ref.ID, ts.ID}
}

// lrGetAll reads every record of r and returns the codes of the answers.
func (e *lrEnv) getAll(ctx context.Context, r lrRecords) map[string]core.Code {
	code := func(err error) core.Code {
		if err == nil {
			return ""
		}
		return core.ErrorCode(err)
	}
	out := map[string]core.Code{}
	_, err := e.st.Ticket(ctx, r.ticket)
	out["ticket"] = code(err)
	_, err = e.st.Contract(ctx, r.contract)
	out["contract"] = code(err)
	_, err = e.st.Proposal(ctx, r.proposal)
	out["proposal"] = code(err)
	_, err = e.st.Invoice(ctx, r.invoice)
	out["invoice"] = code(err)
	_, err = e.st.Payment(ctx, r.payment)
	out["payment"] = code(err)
	_, err = e.st.Note(ctx, r.note)
	out["note"] = code(err)
	_, err = e.st.Reward(ctx, r.reward)
	out["reward"] = code(err)
	_, err = e.st.Referral(ctx, r.referral)
	out["referral"] = code(err)
	_, err = e.st.Task(ctx, lrMyTasks, r.task)
	out["task"] = code(err)
	return out
}

// TestLinkedScopeAndTenants: an own-records actor sees only what hangs off
// their customers (directly and through nested lists); another tenant
// sees nothing, whatever the id.
func TestLinkedScopeAndTenants(t *testing.T) {
	e := newLREnv(t)
	me, someone := member(t, e.env, e.tn, "me"), core.NewID()
	mine := e.customer(t, "مال من", &me)
	theirs := e.customer(t, "Theirs", &someone)
	third := e.customer(t, "Third", &someone)
	rMine := e.oneOfEach(t, e.ctx, mine, theirs, "M-1")
	rTheirs := e.oneOfEach(t, e.ctx, theirs, third, "T-1")

	scoped := core.WithActor(core.WithTenant(context.Background(), e.tn), core.Actor{UserID: me, OwnRecordsOnly: true, Roles: []string{"sales"}})
	for kind, c := range e.getAll(scoped, rMine) {
		if c != "" {
			t.Errorf("own-records actor reading own %s: %s", kind, c)
		}
	}
	for kind, c := range e.getAll(scoped, rTheirs) {
		if c != core.CodeNotFound {
			t.Errorf("own-records actor reading another's %s: %q, want not_found", kind, c)
		}
	}
	// Nested lists under someone else's customer are 404, top-level lists hold only own rows.
	if _, err := e.st.Tickets(scoped, lrFilter(&theirs)); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("tickets of another's customer: %v, want not_found", err)
	}
	if _, err := e.st.Invoices(scoped, lrFilter(&theirs)); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("invoices of another's customer: %v, want not_found", err)
	}
	if p, err := e.st.Tickets(scoped, lrFilter(nil)); err != nil || len(p.Items) != 1 || p.Items[0].ID != rMine.ticket {
		t.Errorf("own-records ticket list: %+v, %v; want only %s", p.Items, err, rMine.ticket)
	}
	if p, err := e.st.Payments(scoped, lrFilter(nil)); err != nil || len(p.Items) != 1 {
		t.Errorf("own-records payment list: %d items, %v; want 1", len(p.Items), err)
	}
	// Writes through a hidden customer are refused the same way.
	if _, _, err := e.st.CreateTicket(scoped, theirs, core.TicketUpdate{Subject: lrP("x")}); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("ticket on another's customer: %v, want not_found", err)
	}
	if _, err := e.st.UpdateInvoice(scoped, rTheirs.invoice, core.InvoiceUpdate{Total: lrP(int64(1))}); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("update of another's invoice: %v, want not_found", err)
	}
	if err := e.st.DeleteNote(scoped, rTheirs.note); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("delete of another's note: %v, want not_found", err)
	}
	// A task on someone else's customer but assigned to me stays visible.
	assigned, err := e.st.CreateTask(e.ctx, lrAllTasks, core.TaskUpdate{Title: lrP("help"), CustomerID: &theirs, AssigneeID: &me})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Task(scoped, lrMyTasks, assigned.ID); err != nil {
		t.Errorf("task assigned to me on another's customer: %v", err)
	}

	// Another tenant: every id of the first is not found.
	other := e.env.Tenant(t, "beta")
	octx := tenanttest.Ctx(other)
	for kind, c := range e.getAll(octx, rMine) {
		if c != core.CodeNotFound {
			t.Errorf("other tenant reading %s: %q, want not_found", kind, c)
		}
	}
	if _, err := e.st.Tickets(octx, lrFilter(&mine)); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("other tenant listing tickets of our customer: %v", err)
	}
	if _, _, err := e.st.CreateTicket(octx, mine, core.TicketUpdate{Subject: lrP("x")}); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("other tenant creating on our customer: %v", err)
	}
	if err := e.st.DeleteInvoice(octx, rMine.invoice); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("other tenant deleting our invoice: %v", err)
	}
	if _, err := e.st.Invoice(e.ctx, rMine.invoice); err != nil {
		t.Errorf("our invoice after the other tenant's attempts: %v", err)
	}
}

var (
	lrAllTasks = store.TaskAccess{All: true}
	lrMyTasks  = store.TaskAccess{}
)

func lrFilter(c *uuid.UUID) store.LinkFilter { return store.LinkFilter{CustomerID: c} }

// TestTicketVIPPriorityAtCreation: a ticket opened for a customer in a VIP
// group is raised to high at once with the group named (not only at the
// next scoring run); a non-VIP customer's stays as asked; urgent is never
// lowered; a customer in the last run's top CLV decile is raised too.
func TestTicketVIPPriorityAtCreation(t *testing.T) {
	e := newLREnv(t)
	vip, plain, rich := e.customer(t, "VIP", nil), e.customer(t, "Plain", nil), e.customer(t, "Rich", nil)
	g := core.NewID()
	e.exec(t, `insert into groups (id, name, is_vip) values ($1, 'مشتریان ویژه', true), ($2, 'Wholesale', false)`, g, core.NewID())
	e.exec(t, `insert into customer_groups (customer_id, group_id) values ($1, $2)`, vip, g)
	open := func(cust uuid.UUID, prio string) core.Ticket {
		t.Helper()
		tk, created, err := e.st.CreateTicket(e.ctx, cust, core.TicketUpdate{Subject: lrP("help"), Priority: lrP(prio)})
		if err != nil || !created {
			t.Fatalf("create ticket: %v (created %v)", err, created)
		}
		again, err := e.st.Ticket(e.ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.Priority != tk.Priority || again.PriorityReason != tk.PriorityReason {
			t.Errorf("stored ticket %s %q, returned %s %q", again.Priority, again.PriorityReason, tk.Priority, tk.PriorityReason)
		}
		return tk
	}
	for _, c := range []struct {
		name         string
		cust         uuid.UUID
		prio         string
		want, reason string
	}{
		{"VIP low", vip, "low", "high", "VIP customer (group مشتریان ویژه)"},
		{"VIP normal", vip, "normal", "high", "VIP customer (group مشتریان ویژه)"},
		{"VIP urgent", vip, "urgent", "urgent", ""},
		{"plain low", plain, "low", "low", ""},
		// No finished run has a threshold yet: no top-decile rule.
		{"rich before any run", rich, "low", "low", ""},
	} {
		tk := open(c.cust, c.prio)
		if tk.Priority != c.want || tk.PriorityReason != c.reason {
			t.Errorf("%s: got %s %q, want %s %q", c.name, tk.Priority, tk.PriorityReason, c.want, c.reason)
		}
	}
	// A finished run put "Rich" in the top CLV decile.
	run := core.NewID()
	e.exec(t, `insert into scoring_runs (id, status, trigger, finished_at, vip_clv_threshold) values ($1, 'done', 'api', now(), 50000)`, run)
	e.exec(t, `insert into scores (customer_id, run_id, computed_at, model, risk, risk_level, clv) values
		($1, $3, now(), 'm', 0.2, 'low', 90000), ($2, $3, now(), 'm', 0.2, 'low', 49999)`, rich, plain, run)
	if tk := open(rich, "low"); tk.Priority != "high" || tk.PriorityReason != "top 10% of customers by lifetime value" {
		t.Errorf("top-decile customer's ticket = %s %q, want high with the reason", tk.Priority, tk.PriorityReason)
	}
	if tk := open(plain, "normal"); tk.Priority != "normal" || tk.PriorityReason != "" {
		t.Errorf("customer just below the threshold = %s %q, want normal", tk.Priority, tk.PriorityReason)
	}
	// Closed tickets are not raised.
	closed, _, err := e.st.CreateTicket(e.ctx, vip, core.TicketUpdate{Subject: lrP("old"), Priority: lrP("low"), Status: lrP("closed")})
	if err != nil || closed.Priority != "low" {
		t.Errorf("closed VIP ticket = %s, %v; want low", closed.Priority, err)
	}
}

// TestMergeRaisesMovedTicketsForVIP: merging a duplicate into a VIP
// customer moves the duplicate's open tickets to the survivor, where the
// VIP rule raises them at once, not at the next scoring run.
func TestMergeRaisesMovedTicketsForVIP(t *testing.T) {
	e := newLREnv(t)
	vip, dup := e.customer(t, "VIP", nil), e.customer(t, "VIP (duplicate)", nil)
	g := core.NewID()
	e.exec(t, `insert into groups (id, name, is_vip) values ($1, 'Gold', true)`, g)
	e.exec(t, `insert into customer_groups (customer_id, group_id) values ($1, $2)`, vip, g)
	tk, _, err := e.st.CreateTicket(e.ctx, dup, core.TicketUpdate{Subject: lrP("help"), Priority: lrP("low")})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Priority != "low" {
		t.Fatalf("the duplicate's ticket opened as %s, want low", tk.Priority)
	}
	if _, err := e.st.MergeCustomers(e.ctx, vip, dup, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.Ticket(e.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CustomerID != vip || got.Priority != "high" || got.PriorityReason != "VIP customer (group Gold)" {
		t.Errorf("moved ticket: customer %v, %s %q; want the survivor's, high with the VIP reason", got.CustomerID, got.Priority, got.PriorityReason)
	}
}
