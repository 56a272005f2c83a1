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
