package web

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

func (s *Server) noteRoutes() []Route {
	st := s.apiStore()
	return linkedAPI[core.Note, core.NoteUpdate]{
		noun: "notes", obj: authz.Notes,
		create: func(ctx context.Context, cust uuid.UUID, u core.NoteUpdate) (core.Note, bool, error) {
			n, err := st.CreateNote(ctx, cust, u)
			return n, true, err
		},
		get: st.Note, list: st.Notes, update: st.UpdateNote, del: st.DeleteNote,
		listParams: []string{"kind"},
	}.routes(s)
}

// linkedAPI is the REST shape every customer-linked record shares:
//
//	GET    /api/v1/customers/:id/<noun>   list one customer's (read)
//	POST   /api/v1/customers/:id/<noun>   create on the customer (create)
//	GET    /api/v1/<noun>                 list all the actor may see (read)
//	GET    /api/v1/<noun>/:id             one (read)
//	PATCH  /api/v1/<noun>/:id             change (update)
//	DELETE /api/v1/<noun>/:id             delete (delete)
//
// The stores apply the own-records scope, so a nested URL under a
// customer the actor may not see is a 404 like one of another tenant.
type linkedAPI[T any, U any] struct {
	noun   string
	obj    authz.Object
	create func(ctx context.Context, customer uuid.UUID, u U) (T, bool, error)
	get    func(ctx context.Context, id uuid.UUID) (T, error)
	list   func(ctx context.Context, f store.LinkFilter) (store.LinkPage[T], error)
	update func(ctx context.Context, id uuid.UUID, u U) (T, error)
	del    func(ctx context.Context, id uuid.UUID) error
	// idempotent creates take an Idempotency-Key (integrations' kinds).
	idempotent bool
	// listParams name what the status filter is called for this noun
	// (status, kind, method); the first is the canonical one.
	listParams []string
	// preCreate adjusts a nested create's body from the path's customer.
	preCreate func(customer uuid.UUID, u *U) error
}

func (a linkedAPI[T, U]) routes(s *Server) []Route {
	read, create := authz.P(a.obj, authz.Read), authz.P(a.obj, authz.Create)
	createH := fiber.Handler(a.createNested)
	if a.idempotent {
		createH = s.idempotent(createH)
	}
	var rs []Route
	if a.create != nil {
		rs = append(rs, Route{Method: fiber.MethodPost, Path: "/api/v1/customers/:id/" + a.noun, Tenant: true, Perm: create, Handler: createH})
	}
	return append(rs,
		Route{Method: fiber.MethodGet, Path: "/api/v1/customers/:id/" + a.noun, Tenant: true, Perm: read, Handler: a.listNested},
		Route{Method: fiber.MethodGet, Path: "/api/v1/" + a.noun, Tenant: true, Perm: read, Handler: a.listAll},
		Route{Method: fiber.MethodGet, Path: "/api/v1/" + a.noun + "/:id", Tenant: true, Perm: read, Handler: a.getOne},
		Route{Method: fiber.MethodPatch, Path: "/api/v1/" + a.noun + "/:id", Tenant: true, Perm: authz.P(a.obj, authz.Update), Handler: a.updateOne},
		Route{Method: fiber.MethodDelete, Path: "/api/v1/" + a.noun + "/:id", Tenant: true, Perm: authz.P(a.obj, authz.Delete), Handler: a.deleteOne},
	)
}

func (a linkedAPI[T, U]) createNested(c *fiber.Ctx) error {
	cust, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u U
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	if a.preCreate != nil {
		if err := a.preCreate(cust, &u); err != nil {
			return err
		}
	}
	v, created, err := a.create(c.UserContext(), cust, u)
	if err != nil {
		return err
	}
	return sendSaved(c, "/api/v1/"+a.noun+"/", v, created)
}

// sendSaved answers a create: 201 with Location for a new record, 200 for
// an upsert that found its external_ref.
func sendSaved(c *fiber.Ctx, base string, v any, created bool) error {
	id := linkedID(v)
	c.Location(base + id.String())
	if created {
		return c.Status(fiber.StatusCreated).JSON(v)
	}
	return c.JSON(v)
}

func (a linkedAPI[T, U]) listNested(c *fiber.Ctx) error {
	cust, err := pathID(c, "id")
	if err != nil {
		return err
	}
	f, err := linkFilter(c, false, a.listParams...)
	if err != nil {
		return err
	}
	f.CustomerID = &cust
	p, err := a.list(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (a linkedAPI[T, U]) listAll(c *fiber.Ctx) error {
	f, err := linkFilter(c, true, a.listParams...)
	if err != nil {
		return err
	}
	p, err := a.list(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (a linkedAPI[T, U]) getOne(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := a.get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (a linkedAPI[T, U]) updateOne(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u U
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	v, err := a.update(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (a linkedAPI[T, U]) deleteOne(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.del(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// linkFilter parses a linked list's query: customer_id (top-level lists
// only), the status-like filter (repeated or comma-separated), cursor and
// limit (Persian digits welcome). Unknown parameters are a 422.
func linkFilter(c *fiber.Ctx, topLevel bool, statusNames ...string) (store.LinkFilter, error) {
	var f store.LinkFilter
	bad := map[string]string{}
	if len(statusNames) == 0 {
		statusNames = []string{"status"}
	}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key, val := string(k), strings.TrimSpace(string(v))
		switch {
		case key == "customer_id" && topLevel:
			id, err := uuid.Parse(val)
			if err != nil {
				bad[key] = "not a UUID"
				return
			}
			f.CustomerID = &id
		case key == statusNames[0]:
			for _, s := range strings.Split(val, ",") {
				if s = strings.TrimSpace(s); s != "" {
					f.Status = append(f.Status, s)
				}
			}
		case key == "cursor":
			f.Cursor = val
		case key == "limit":
			n, err := strconv.Atoi(core.FoldDigits(val))
			if err != nil || n < 1 || n > 500 {
				bad[key] = "must be a whole number from 1 to 500"
				return
			}
			f.Limit = n
		default:
			bad[key] = "unknown parameter"
		}
	})
	if len(bad) > 0 {
		return f, core.Invalid(bad)
	}
	return f, nil
}

// linkedID reads the id of any linked record.
func linkedID(v any) uuid.UUID {
	switch r := v.(type) {
	case core.Ticket:
		return r.ID
	case core.Contract:
		return r.ID
	case core.Proposal:
		return r.ID
	case core.Invoice:
		return r.ID
	case core.Payment:
		return r.ID
	case core.Note:
		return r.ID
	case core.Reward:
		return r.ID
	case core.Referral:
		return r.ID
	case core.Task:
		return r.ID
	}
	return uuid.Nil
}

// linkedRoutes are the linked records', merge's, import's and export's
// routes. They are registered before the customers' own routes, so that
// /api/v1/customers/export is not taken for a customer id.
func (s *Server) linkedRoutes() []Route {
	var rs []Route
	for _, area := range [][]Route{
		s.exportRoutes(), s.importRoutes(),
		s.ticketRoutes(), s.contractRoutes(), s.proposalRoutes(), s.invoiceRoutes(), s.paymentRoutes(),
		s.referralRoutes(), s.rewardRoutes(), s.noteRoutes(), s.taskRoutes(), s.mergeRoutes(), s.timelineRoutes(),
	} {
		rs = append(rs, area...)
	}
	return rs
}

func (s *Server) timelineRoutes() []Route {
	return []Route{
		{Method: fiber.MethodGet, Path: "/api/v1/customers/:id/timeline", Tenant: true, Perm: authz.P(authz.Customers, authz.Read), Handler: s.customerTimeline},
	}
}

// customerTimeline pages through a customer's merged timeline (the
// profile carries the first page and its next_cursor).
func (s *Server) customerTimeline(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	limit := 0
	bad := map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		switch string(k) {
		case "cursor":
		case "limit":
			n, err := strconv.Atoi(core.FoldDigits(string(v)))
			if err != nil || n < 1 || n > 500 {
				bad["limit"] = "must be a whole number from 1 to 500"
			}
			limit = n
		default:
			bad[string(k)] = "unknown parameter"
		}
	})
	if len(bad) > 0 {
		return core.Invalid(bad)
	}
	p, err := s.apiStore().Timeline(c.UserContext(), id, c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// linkedListQuery documents the query of the linked lists.
func linkedListQuery(statusName, statusHelp string, topLevel bool) [][2]string {
	q := [][2]string{{statusName, statusHelp + "; repeat or comma-separate for any-of"},
		{"cursor", "next_cursor of the previous page"}, {"limit", "page size, 1–500 (default 50)"}}
	if topLevel {
		q = append([][2]string{{"customer_id", "only this customer's"}}, q...)
	}
	return q
}

// linkedDocs documents one linkedAPI noun's routes.
func linkedDocs(noun, one string, record, update any, page any, statusName, statusHelp, createNote string) map[string]APIDoc {
	base := "/api/v1/" + noun
	return map[string]APIDoc{
		"GET /api/v1/customers/:id/" + noun: {Summary: "List a customer's " + noun, Description: "Newest first; a customer you may not see is a 404.",
			Query: linkedListQuery(statusName, statusHelp, false), Response: page},
		"POST /api/v1/customers/:id/" + noun: {Summary: "Add a " + one + " to a customer", Description: createNote, Request: update, Response: record, Status: 201},
		"GET " + base:                        {Summary: "List " + noun, Description: "Everything you may see, newest first.", Query: linkedListQuery(statusName, statusHelp, true), Response: page},
		"GET " + base + "/:id":               {Summary: "Get a " + one, Response: record},
		"PATCH " + base + "/:id":             {Summary: "Update a " + one, Description: "Absent fields stay as they are.", Request: update, Response: record},
		"DELETE " + base + "/:id":            {Summary: "Delete a " + one, Status: 204},
	}
}

func init() {
	const upsert = "A known external_ref updates that record instead (200; replaying the same body changes nothing). "
	const idem = "Send Idempotency-Key to make retries safe. "
	for _, d := range []map[string]APIDoc{
		linkedDocs("tickets", "ticket", core.Ticket{}, core.TicketUpdate{}, store.LinkPage[core.Ticket]{}, "status", "open, answered, on_hold, closed", idem+upsert+"The customer's open-ticket count follows."),
		linkedDocs("contracts", "contract", core.Contract{}, core.ContractUpdate{}, store.LinkPage[core.Contract]{}, "status", "draft, active, ended, cancelled, renewed", upsert),
		linkedDocs("proposals", "proposal", core.Proposal{}, core.ProposalUpdate{}, store.LinkPage[core.Proposal]{}, "status", "draft, sent, accepted, declined, expired", upsert),
		linkedDocs("invoices", "invoice", core.Invoice{}, core.InvoiceUpdate{}, store.LinkPage[core.Invoice]{}, "status", "unpaid, partial, paid, overdue, cancelled",
			idem+upsert+"Money is integer minor units; quantities are exact decimal strings. Lines, when given, replace all lines and the total follows them. "+
				"Payments that arrived first naming this invoice's number or external_ref are linked; the customer's facts follow in the same transaction."),
		linkedDocs("payments", "payment", core.Payment{}, core.PaymentUpdate{}, store.LinkPage[core.Payment]{}, "method", "payment method", idem+upsert),
		linkedDocs("rewards", "reward", core.Reward{}, core.RewardUpdate{}, store.LinkPage[core.Reward]{}, "kind", "discount, credit, gift, points, cash", ""),
		linkedDocs("notes", "note", core.Note{}, core.NoteUpdate{}, store.LinkPage[core.Note]{}, "kind", "note, call, meeting, email, activity", ""),
		{
			"POST /api/v1/invoices": {Summary: "Create an invoice (customer_id in the body)", Description: idem + upsert, Request: core.InvoiceUpdate{}, Response: core.Invoice{}, Status: 201},
			"POST /api/v1/payments": {Summary: "Record a payment", Description: idem + upsert + "Name the invoice by invoice_id, invoice_number or invoice_ref, or the customer by customer_id; " +
				"an invoice that does not exist yet is linked when it comes.", Request: core.PaymentUpdate{}, Response: core.Payment{}, Status: 201},
			"POST /api/v1/referrals":              {Summary: "Record a referral", Request: core.ReferralUpdate{}, Response: core.Referral{}, Status: 201},
			"GET /api/v1/referrals":               {Summary: "List referrals", Query: append(linkedListQuery("status", "pending, qualified, rewarded, cancelled", true), [2]string{"role", "made or received (with a customer)"}), Response: store.LinkPage[core.Referral]{}},
			"GET /api/v1/customers/:id/referrals": {Summary: "A customer's referrals, made and received", Query: append(linkedListQuery("status", "pending, qualified, rewarded, cancelled", false), [2]string{"role", "made or received"}), Response: store.LinkPage[core.Referral]{}},
			"GET /api/v1/referrals/:id":           {Summary: "Get a referral", Response: core.Referral{}},
			"PATCH /api/v1/referrals/:id":         {Summary: "Update a referral", Request: core.ReferralUpdate{}, Response: core.Referral{}},
			"DELETE /api/v1/referrals/:id":        {Summary: "Delete a referral", Status: 204},
			"POST /api/v1/tasks":                  {Summary: "Create a task", Request: core.TaskUpdate{}, Response: core.Task{}, Status: 201},
			"GET /api/v1/tasks": {Summary: "List tasks", Description: "Without tasks:manage: tasks assigned to or created by you and tasks on your customers.",
				Query: append(linkedListQuery("status", "open, done, snoozed, cancelled", true), [2]string{"assignee", "me (your own tasks) or a user id"}, [2]string{"assignee_id", "only this assignee's (a user id, or me)"}), Response: store.LinkPage[core.Task]{}},
			"GET /api/v1/customers/:id/tasks": {Summary: "A customer's tasks", Query: append(linkedListQuery("status", "open, done, snoozed, cancelled", false), [2]string{"assignee", "me (your own tasks) or a user id"}, [2]string{"assignee_id", "only this assignee's (a user id, or me)"}), Response: store.LinkPage[core.Task]{}},
			"GET /api/v1/tasks/:id":           {Summary: "Get a task", Response: core.Task{}},
			"PATCH /api/v1/tasks/:id":         {Summary: "Update a task", Request: core.TaskUpdate{}, Response: core.Task{}},
			"DELETE /api/v1/tasks/:id":        {Summary: "Delete a task", Status: 204},
			"POST /api/v1/customers/:id/merge": {Summary: "Merge a duplicate into this customer", Description: "Every related record moves here; this customer's non-empty fields win; " +
				"a referral between the two is dropped; duplicate links collapse; one transaction; audited.", Request: MergeInput{}, Response: store.MergeResult{}},
			"GET /api/v1/customers/:id/timeline": {Summary: "A customer's merged timeline", Description: "Newest first; the profile carries the first page.",
				Query: [][2]string{{"cursor", "next_cursor of the previous page"}, {"limit", "page size, 1–500 (default 50)"}}, Response: store.TimelinePage{}},
			"GET /api/v1/customers/export": {Summary: "Export customers as CSV or XLSX", Description: "The customer list's filters and scope; format=csv|xlsx. Cells a spreadsheet would execute are neutralised with a leading apostrophe.",
				Query: append([][2]string{{"format", "csv (default) or xlsx"}}, listQuery...)},
			"GET /api/v1/invoices/export": {Summary: "Export invoices (one row per line) as CSV or XLSX", Query: append([][2]string{{"format", "csv (default) or xlsx"}}, linkedListQuery("status", "invoice status", true)[:2]...)},
			"GET /api/v1/payments/export": {Summary: "Export payments as CSV or XLSX", Query: append([][2]string{{"format", "csv (default) or xlsx"}}, linkedListQuery("method", "payment method", true)[:2]...)},
		},
	} {
		addAPIDocs(d)
	}
}
