package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/textnorm"
	"github.com/gomato/gomato/tenant/store"
)

// apiStore is the tenant-data store the API works through. It holds no
// state but the pool, so making one per request costs nothing.
func (s *Server) apiStore() *store.Store { return store.New(s.deps.DB) }

func (s *Server) customerRoutes() []Route {
	read, scores := authz.P(authz.Customers, authz.Read), authz.P(authz.Scores, authz.Override)
	return []Route{
		{Method: fiber.MethodGet, Path: "/api/v1/customers", Tenant: true, Perm: read, Handler: s.listCustomers},
		{Method: fiber.MethodGet, Path: "/api/v1/customers/counts", Tenant: true, Perm: read, Handler: s.countCustomers},
		{Method: fiber.MethodPost, Path: "/api/v1/customers", Tenant: true, Perm: authz.P(authz.Customers, authz.Create), Handler: s.idempotent(s.createCustomer)},
		{Method: fiber.MethodGet, Path: "/api/v1/customers/:id", Tenant: true, Perm: read, Handler: withID(s.getCustomer)},
		{Method: fiber.MethodPatch, Path: "/api/v1/customers/:id", Tenant: true, Perm: authz.P(authz.Customers, authz.Update), Handler: withID(s.updateCustomer)},
		{Method: fiber.MethodDelete, Path: "/api/v1/customers/:id", Tenant: true, Perm: authz.P(authz.Customers, authz.Delete), Handler: withID(s.deleteCustomer)},
		{Method: fiber.MethodGet, Path: "/api/v1/customers/:id/profile", Tenant: true, Perm: read, Handler: withID(s.customerProfile)},
		{Method: fiber.MethodPut, Path: "/api/v1/customers/:id/forecast-override", Tenant: true, Perm: scores, Handler: withID(s.overrideForecast)},
		{Method: fiber.MethodGet, Path: "/api/v1/specialties", Tenant: true, Perm: read, Handler: s.listSpecialties},
	}
}

// pathID reads the :id (or another) path parameter as a UUID; anything
// else names no record, so it is a 404 like a record of another tenant.
func pathID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, core.Errorf(core.CodeNotFound, "not found")
	}
	return id, nil
}

// canSeeScores reports whether the actor may see score fields (DESIGN §4:
// without scores:read they are left out everywhere).
func canSeeScores(c *fiber.Ctx) bool {
	return authz.Can(c.UserContext(), authz.P(authz.Scores, authz.Read))
}

// present prepares customers for the response: score fields go unless the
// actor may read scores.
func present(c *fiber.Ctx, cs ...*core.Customer) {
	if canSeeScores(c) {
		return
	}
	for _, cu := range cs {
		cu.WithoutScores()
	}
}

// customerListParams are the query parameters of the list and counts.
var customerListParams = map[string]bool{
	"status": true, "group": true, "vip": true, "specialty": true, "country": true, "province": true, "city": true,
	"owner": true, "q": true, "sort": true, "cursor": true, "limit": true,
	"risk_level": true, "segment": true, "min_clv": true, "max_clv": true,
}

// customerFilter parses the list's query: repeated parameters mean any-of
// (status also takes a comma list); custom fields are cf.<key>,
// cf.<key>.gte and cf.<key>.lte; numbers may be typed with Persian or
// Arabic-Indic digits. Unknown parameters are a 422.
func customerFilter(c *fiber.Ctx) (core.CustomerFilter, error) {
	var f core.CustomerFilter
	bad := map[string]string{}
	multi := map[string][]string{}
	custom := map[string]*core.CustomFilter{}
	var order []string
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key, val := string(k), strings.TrimSpace(string(v))
		if rest, ok := strings.CutPrefix(key, "cf."); ok {
			op := core.CustomEq
			if base, ok := strings.CutSuffix(rest, ".gte"); ok {
				rest, op = base, core.CustomGte
			} else if base, ok := strings.CutSuffix(rest, ".lte"); ok {
				rest, op = base, core.CustomLte
			}
			if !core.ValidFieldKey(rest) {
				bad[key] = "no such custom field"
				return
			}
			id := rest + "." + string(op)
			if custom[id] == nil {
				custom[id] = &core.CustomFilter{Key: rest, Op: op}
				order = append(order, id)
			}
			custom[id].Values = append(custom[id].Values, val)
			return
		}
		if !customerListParams[key] {
			bad[key] = "unknown parameter"
			return
		}
		multi[key] = append(multi[key], val)
	})
	for _, id := range order {
		f.Custom = append(f.Custom, *custom[id])
	}
	for _, v := range multi["status"] {
		for _, st := range strings.Split(v, ",") {
			f.Status = append(f.Status, core.CustomerStatus(strings.TrimSpace(st)))
		}
	}
	ids := func(name string) []uuid.UUID {
		var out []uuid.UUID
		for _, v := range multi[name] {
			id, err := uuid.Parse(v)
			if err != nil {
				bad[name] = "not a UUID"
				continue
			}
			out = append(out, id)
		}
		return out
	}
	f.GroupIDs = ids("group")
	f.OwnerIDs = ids("owner")
	if vs := multi["vip"]; len(vs) > 0 {
		switch vs[0] {
		case "true", "1":
			t := true
			f.VIP = &t
		case "false", "0":
			t := false
			f.VIP = &t
		default:
			bad["vip"] = "must be true or false"
		}
	}
	f.Specialties, f.Countries, f.Provinces, f.Cities = multi["specialty"], multi["country"], multi["province"], multi["city"]
	f.RiskLevels, f.Segments = multi["risk_level"], multi["segment"]
	f.Q = strings.Join(multi["q"], " ")
	if vs := multi["sort"]; len(vs) > 0 {
		f.Sort = core.CustomerSort(vs[0])
	}
	if vs := multi["cursor"]; len(vs) > 0 {
		f.Cursor = vs[0]
	}
	num := func(name string) *int64 {
		vs := multi[name]
		if len(vs) == 0 {
			return nil
		}
		n, err := textnorm.ParseInt(vs[0])
		if err != nil {
			bad[name] = "must be an integer"
			return nil
		}
		return &n
	}
	if l := num("limit"); l != nil {
		if *l < 1 || *l > 200 {
			bad["limit"] = "must be between 1 and 200"
		}
		f.Limit = int(*l)
	}
	f.MinCLV, f.MaxCLV = num("min_clv"), num("max_clv")
	if len(bad) > 0 {
		return f, core.Invalid(bad)
	}
	if f.UsesScores() && !canSeeScores(c) {
		return f, core.Errorf(core.CodeForbidden, "you may not filter or sort on scores")
	}
	return f, nil
}

func (s *Server) listCustomers(c *fiber.Ctx) error {
	f, err := customerFilter(c)
	if err != nil {
		return err
	}
	page, err := s.apiStore().Customers(c.UserContext(), f)
	if err != nil {
		return err
	}
	ptrs := make([]*core.Customer, len(page.Items))
	for i := range page.Items {
		ptrs[i] = &page.Items[i]
	}
	present(c, ptrs...)
	return c.JSON(page)
}

func (s *Server) countCustomers(c *fiber.Ctx) error {
	f, err := customerFilter(c)
	if err != nil {
		return err
	}
	n, err := s.apiStore().CustomerCounts(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(n)
}

func (s *Server) createCustomer(c *fiber.Ctx) error {
	var in core.CustomerInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cu, err := s.apiStore().CreateCustomer(c.UserContext(), in)
	if err != nil {
		return err
	}
	present(c, &cu)
	c.Location("/api/v1/customers/" + cu.ID.String())
	return c.Status(fiber.StatusCreated).JSON(cu)
}

func (s *Server) getCustomer(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cu, err := s.apiStore().Customer(c.UserContext(), id)
	if err != nil {
		return err
	}
	present(c, &cu)
	return c.JSON(cu)
}

func (s *Server) updateCustomer(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u core.CustomerUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	cu, err := s.apiStore().UpdateCustomer(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	present(c, &cu)
	return c.JSON(cu)
}

func (s *Server) deleteCustomer(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.apiStore().DeleteCustomer(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) customerProfile(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.apiStore().Profile(c.UserContext(), id)
	if err != nil {
		return err
	}
	present(c, &p.Customer)
	return c.JSON(p)
}

// ForecastOverrideInput is the body of PUT …/forecast-override: a time in
// the future, or null to clear the override.
type ForecastOverrideInput struct {
	At *time.Time `json:"at"`
}

func (s *Server) overrideForecast(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in ForecastOverrideInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cu, err := s.apiStore().SetForecastOverride(c.UserContext(), id, in.At)
	if err != nil {
		return err
	}
	present(c, &cu)
	return c.JSON(cu)
}

// SpecialtyList is the response of GET /api/v1/specialties.
type SpecialtyList struct {
	Items []core.Specialty `json:"items"`
}

func (s *Server) listSpecialties(c *fiber.Ctx) error {
	for k := range c.Queries() {
		if k != "q" {
			return core.Invalid(map[string]string{k: "unknown parameter"})
		}
	}
	items, err := s.apiStore().Specialties(c.UserContext(), c.Query("q"), 500)
	if err != nil {
		return err
	}
	return c.JSON(SpecialtyList{Items: items})
}

// customerAPIRoutes are the customer area's API routes: customers,
// contacts, groups, custom field definitions and the OpenAPI document.
func (s *Server) customerAPIRoutes() []Route {
	var rs []Route
	rs = append(rs, s.customerRoutes()...)
	rs = append(rs, s.contactRoutes()...)
	rs = append(rs, s.groupRoutes()...)
	rs = append(rs, s.customFieldRoutes()...)
	rs = append(rs, s.openAPIRoutes()...)
	return rs
}

// withID runs h only when the :id parameter is a UUID; anything else is
// passed on to later routes (a literal path such as /customers/export),
// ending in the 404 handler when none matches.
func withID(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := uuid.Parse(c.Params("id")); err != nil {
			return c.Next()
		}
		return h(c)
	}
}
