package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/web/webtest"
)

// The role matrix: every route × every kind of actor, with the answer each
// must get WRITTEN OUT BY HAND from DESIGN §4 — never derived from the
// policy table in authz, which is what this checks.
//
// Columns, in order: tenant_admin, manager, sales, support (members of the
// tenant), the admin of the agency hosting the tenant (not a member), a
// platform operator (not a member), the tenant_admin of another tenant,
// and no session.
//
//	Y  allowed: the request got past authentication, membership and
//	   permission (any status but 401, 403 and the tenant's 404; pick
//	   paths and bodies so allowed requests succeed or fail on their own
//	   merits, e.g. a made-up id → 404 "… not found")
//	F  403 forbidden
//	N  404, the same as an unknown tenant
//	U  401 no session
//	S  the same status (Want.Same) for everyone: public routes
//
// Adding a route: append a row to matrixRows or crmRows below (or, in a
// test file of your own, append to matrixRows in an init func) with Route
// exactly as registered. TestRoleMatrix fails for any /api/ route without a row.
// Path placeholders: {rand} a made-up UUID, {member} a member of the
// tenant with no role, {agency} the tenant's agency slug.

type want [8]byte

// Actor columns.
const (
	colAdmin = iota
	colManager
	colSales
	colSupport
	colAgencyAdmin
	colOperator
	colOutsider
	colAnon
)

var colNames = [8]string{"tenant_admin", "manager", "sales", "support", "agency_admin", "operator", "other_tenant_admin", "no_session"}

type matrixRow struct {
	Method string
	Route  string // as registered
	Path   string // the request path; Route when empty
	Tenant bool   // send X-Tenant
	Body   any
	// Fresh gives each actor a new session for this row (logout ends it).
	Fresh bool
	Want  want
	// Same is the status everyone gets on a public route (S).
	Same int
}

func w(s string) want {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) != 8 {
		panic("a matrix row has 8 columns: " + s)
	}
	var out want
	copy(out[:], s)
	return out
}

var matrixRows = []matrixRow{
	// Public.
	{Method: "GET", Route: "/healthz", Want: w("SSSS SSSS"), Same: 200},
	{Method: "GET", Route: "/readyz", Want: w("SSSS SSSS"), Same: 200},
	{Method: "GET", Route: "/api/v1/openapi.json", Want: w("SSSS SSSS"), Same: 200},
	{Method: "POST", Route: "/api/v1/auth/login", Body: map[string]string{"email": "nobody@example.test", "password": "wrong password"}, Want: w("SSSS SSSS"), Same: 401},
	{Method: "POST", Route: "/api/v1/auth/accept-invite", Body: map[string]string{"token": "gmi_made-up", "password": "long enough password"}, Want: w("SSSS SSSS"), Same: 404},

	// Signed in, no permission needed.
	{Method: "GET", Route: "/api/v1/me", Want: w("YYYY YYYU")},
	{Method: "POST", Route: "/api/v1/auth/logout", Fresh: true, Want: w("YYYY YYYU")},

	// API tokens: everyone's own (§4 "own"; tenant admins also revoke any).
	{Method: "GET", Route: "/api/v1/tokens", Tenant: true, Want: w("YYYY NNNU")},
	{Method: "POST", Route: "/api/v1/tokens", Tenant: true, Body: map[string]string{"name": "integration"}, Want: w("YYYY NNNU")},
	{Method: "DELETE", Route: "/api/v1/tokens/:id", Path: "/api/v1/tokens/{rand}", Tenant: true, Want: w("YYYY NNNU")},

	// Users, role grants, custom roles, invites: tenant admin only.
	{Method: "GET", Route: "/api/v1/users", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "DELETE", Route: "/api/v1/users/:id", Path: "/api/v1/users/{rand}", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "PUT", Route: "/api/v1/users/:id/roles/:role", Path: "/api/v1/users/{member}/roles/sales", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "DELETE", Route: "/api/v1/users/:id/roles/:role", Path: "/api/v1/users/{member}/roles/sales", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "GET", Route: "/api/v1/roles", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "POST", Route: "/api/v1/roles", Tenant: true, Body: map[string]any{"name": "matrix_role", "permissions": []string{"customers:read"}}, Want: w("YFFF NNNU")},
	{Method: "PATCH", Route: "/api/v1/roles/:role", Path: "/api/v1/roles/support", Tenant: true, Body: map[string]any{"own_records_only": false}, Want: w("YFFF NNNU")},
	{Method: "DELETE", Route: "/api/v1/roles/:role", Path: "/api/v1/roles/no_such_role", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "GET", Route: "/api/v1/permissions", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "GET", Route: "/api/v1/invites", Tenant: true, Want: w("YFFF NNNU")},
	{Method: "POST", Route: "/api/v1/invites", Tenant: true, Body: map[string]any{"email": "matrix-invitee@example.test", "name": "Invitee", "roles": []string{"sales"}}, Want: w("YFFF NNNU")},
	{Method: "DELETE", Route: "/api/v1/invites/:id", Path: "/api/v1/invites/{rand}", Tenant: true, Want: w("YFFF NNNU")},

	// Tenant settings: tenant admin full, everyone else read.
	{Method: "GET", Route: "/api/v1/settings", Tenant: true, Want: w("YYYY NNNU")},
	{Method: "PATCH", Route: "/api/v1/settings", Tenant: true, Body: map[string]any{"risk_medium": 0.3}, Want: w("YFFF NNNU")},

	// Audit log: tenant admin reads.
	{Method: "GET", Route: "/api/v1/audit", Tenant: true, Want: w("YFFF NNNU")},

	// Above tenants: operators create agencies; agency admins (and
	// operators) list and create their agency's tenants.
	{Method: "GET", Route: "/api/v1/agencies", Want: w("FFFF FYFU")},
	{Method: "POST", Route: "/api/v1/agencies", Body: map[string]string{"slug": "matrix-new-agency", "name": "New"}, Want: w("FFFF FYFU")},
	{Method: "GET", Route: "/api/v1/agencies/:agency/tenants", Path: "/api/v1/agencies/{agency}/tenants", Want: w("FFFF YYFU")},
	{Method: "POST", Route: "/api/v1/agencies/:agency/tenants", Path: "/api/v1/agencies/{agency}/tenants", Body: map[string]string{"slug": "matrix-new-tenant", "name": "New"}, Want: w("FFFF YYFU")},
}

// tr is a tenant route row; :id in the route becomes a made-up id, so an
// allowed request ends in its handler's own 404 or 4xx for a bad body.
func tr(method, route, cols string) matrixRow {
	return matrixRow{Method: method, Route: route, Path: strings.ReplaceAll(route, ":id", "{rand}"), Tenant: true, Want: w(cols)}
}

// The customer 360 (DESIGN §4, row by row). Non-members are 404, no
// session 401, for every one of them.
var crmRows = []matrixRow{
	// customers, contacts, groups, notes: admin read; manager, sales full;
	// support read, edit contacts, add notes.
	tr("GET", "/api/v1/customers", "YYYY NNNU"),
	tr("GET", "/api/v1/customers/counts", "YYYY NNNU"),
	tr("POST", "/api/v1/customers", "FYYF NNNU"),
	tr("GET", "/api/v1/customers/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/customers/:id", "FYYF NNNU"),
	tr("DELETE", "/api/v1/customers/:id", "FYYF NNNU"),
	tr("GET", "/api/v1/customers/:id/profile", "YYYY NNNU"),
	tr("GET", "/api/v1/specialties", "YYYY NNNU"),
	tr("GET", "/api/v1/customers/:id/contacts", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/contacts", "FYYF NNNU"),
	tr("GET", "/api/v1/contacts/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/contacts/:id", "FYYY NNNU"),
	tr("DELETE", "/api/v1/contacts/:id", "FYYF NNNU"),
	tr("GET", "/api/v1/groups", "YYYY NNNU"),
	tr("POST", "/api/v1/groups", "FYYF NNNU"),
	tr("GET", "/api/v1/groups/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/groups/:id", "FYYF NNNU"),
	tr("DELETE", "/api/v1/groups/:id", "FYYF NNNU"),
	tr("GET", "/api/v1/notes", "YYYY NNNU"),
	tr("GET", "/api/v1/customers/:id/notes", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/notes", "FYYY NNNU"),
	tr("GET", "/api/v1/notes/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/notes/:id", "FYYF NNNU"),
	tr("DELETE", "/api/v1/notes/:id", "FYYF NNNU"),
	// merge customers: manager, sales.
	tr("POST", "/api/v1/customers/:id/merge", "FYYF NNNU"),
	// scores: override forecast — manager, sales.
	tr("PUT", "/api/v1/customers/:id/forecast-override", "FYYF NNNU"),
	// custom field definitions: admin full, everyone else read.
	tr("GET", "/api/v1/custom-fields", "YYYY NNNU"),
	tr("POST", "/api/v1/custom-fields", "YFFF NNNU"),
	tr("GET", "/api/v1/custom-fields/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/custom-fields/:id", "YFFF NNNU"),
	tr("DELETE", "/api/v1/custom-fields/:id", "YFFF NNNU"),
	// tickets: admin read, manager full, sales read, support full.
	tr("GET", "/api/v1/tickets", "YYYY NNNU"),
	tr("GET", "/api/v1/customers/:id/tickets", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/tickets", "FYFY NNNU"),
	tr("GET", "/api/v1/tickets/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/tickets/:id", "FYFY NNNU"),
	tr("DELETE", "/api/v1/tickets/:id", "FYFY NNNU"),
	// contracts, proposals: admin read, manager full, sales full, support read.
	tr("GET", "/api/v1/contracts", "YYYY NNNU"),
	tr("GET", "/api/v1/customers/:id/contracts", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/contracts", "FYYF NNNU"),
	tr("GET", "/api/v1/contracts/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/contracts/:id", "FYYF NNNU"),
	tr("DELETE", "/api/v1/contracts/:id", "FYYF NNNU"),
	tr("GET", "/api/v1/proposals", "YYYY NNNU"),
	tr("GET", "/api/v1/customers/:id/proposals", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/proposals", "FYYF NNNU"),
	tr("GET", "/api/v1/proposals/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/proposals/:id", "FYYF NNNU"),
	tr("DELETE", "/api/v1/proposals/:id", "FYYF NNNU"),
	// invoices, payments: admin read, manager full, sales read, support read.
	tr("GET", "/api/v1/invoices", "YYYY NNNU"),
	tr("POST", "/api/v1/invoices", "FYFF NNNU"),
	tr("GET", "/api/v1/customers/:id/invoices", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/invoices", "FYFF NNNU"),
	tr("GET", "/api/v1/invoices/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/invoices/:id", "FYFF NNNU"),
	tr("DELETE", "/api/v1/invoices/:id", "FYFF NNNU"),
	tr("GET", "/api/v1/payments", "YYYY NNNU"),
	tr("POST", "/api/v1/payments", "FYFF NNNU"),
	tr("GET", "/api/v1/customers/:id/payments", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/payments", "FYFF NNNU"),
	tr("GET", "/api/v1/payments/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/payments/:id", "FYFF NNNU"),
	tr("DELETE", "/api/v1/payments/:id", "FYFF NNNU"),
	// referrals: admin read, manager full, sales read + record, support read.
	tr("GET", "/api/v1/referrals", "YYYY NNNU"),
	tr("POST", "/api/v1/referrals", "FYYF NNNU"),
	tr("GET", "/api/v1/customers/:id/referrals", "YYYY NNNU"),
	tr("GET", "/api/v1/referrals/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/referrals/:id", "FYFF NNNU"),
	tr("DELETE", "/api/v1/referrals/:id", "FYFF NNNU"),
	// rewards: admin read, manager full, sales read, support read.
	tr("GET", "/api/v1/rewards", "YYYY NNNU"),
	tr("GET", "/api/v1/customers/:id/rewards", "YYYY NNNU"),
	tr("POST", "/api/v1/customers/:id/rewards", "FYFF NNNU"),
	tr("GET", "/api/v1/rewards/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/rewards/:id", "FYFF NNNU"),
	tr("DELETE", "/api/v1/rewards/:id", "FYFF NNNU"),
	// tasks: admin read; manager full; sales, support their own, assigned
	// and created (create and update; deleting is the manager's).
	tr("GET", "/api/v1/tasks", "YYYY NNNU"),
	{Method: "GET", Route: "/api/v1/tasks", Path: "/api/v1/tasks?assignee=me", Tenant: true, Want: w("YYYY NNNU")},
	tr("POST", "/api/v1/tasks", "FYYY NNNU"),
	tr("GET", "/api/v1/customers/:id/tasks", "YYYY NNNU"),
	tr("GET", "/api/v1/tasks/:id", "YYYY NNNU"),
	tr("PATCH", "/api/v1/tasks/:id", "FYYY NNNU"),
	tr("DELETE", "/api/v1/tasks/:id", "FYFF NNNU"),
}

func init() { matrixRows = append(matrixRows, crmRows...) }

func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	h := webtest.New(t)
	ctx := context.Background()
	agency := h.Agency(t, "matrix")
	tn, err := h.Env.Registry.CreateTenant(ctx, tenantFor("matrix", agency.Slug))
	if err != nil {
		t.Fatal(err)
	}
	other := h.Tenant(t, "other")
	actors := [8]webtest.User{
		colAdmin:       h.User(t, tn, "tenant_admin"),
		colManager:     h.User(t, tn, "manager"),
		colSales:       h.User(t, tn, "sales"),
		colSupport:     h.User(t, tn, "support"),
		colAgencyAdmin: h.AgencyAdmin(t, agency.Slug),
		colOperator:    h.Operator(t),
		colOutsider:    h.User(t, other, "tenant_admin"),
	}
	member := h.UserWithPassword(t, "a member's password")
	if err := h.Authz.AddMember(ctx, tn.ID, member.ID); err != nil {
		t.Fatal(err)
	}

	covered := map[string]bool{}
	for _, row := range matrixRows {
		covered[row.Method+" "+row.Route] = true
	}
	registered := map[string]bool{}
	for _, r := range h.Server.Routes() {
		registered[r.Method+" "+r.Path] = true
		if strings.HasPrefix(r.Path, "/api/") && !covered[r.Method+" "+r.Path] {
			t.Errorf("route %s %s has no row in the role matrix (web/rolematrix_test.go)", r.Method, r.Path)
		}
	}
	for k := range covered {
		if !registered[k] {
			t.Errorf("the role matrix has a row for %s, which is not a registered route", k)
		}
	}

	// Each actor's column runs in its own subtest, in parallel with the
	// others; the rows of a column run in order.
	for col, actor := range actors {
		t.Run(colNames[col], func(t *testing.T) {
			t.Parallel()
			for _, row := range matrixRows {
				checkMatrixCell(t, h, row, col, actor, func(path string) string {
					return strings.NewReplacer("{rand}", uuid.NewString(), "{member}", member.ID.String(), "{agency}", agency.Slug).Replace(path)
				}, tn.Slug)
			}
		})
	}
}

func checkMatrixCell(t *testing.T, h *webtest.Harness, row matrixRow, col int, as webtest.User, fill func(string) string, tenantSlug string) {
	t.Helper()
	name := fmt.Sprintf("%s %s as %s", row.Method, row.Route, colNames[col])
	path := row.Path
	if path == "" {
		path = row.Route
	}
	path = fill(path)
	if row.Fresh && as.Token != "" {
		secret, _, err := h.Users.CreateSession(context.Background(), as.ID, "127.0.0.1", "matrix")
		if err != nil {
			t.Fatal(err)
		}
		as.Token = secret
	}
	req := webtest.Req{As: as, Method: row.Method, Path: path, Body: row.Body}
	if row.Tenant {
		req.Tenant = tenantSlug
	}
	resp := h.Do(t, req)
	got, body := resp.Status, string(resp.Body)
	switch row.Want[col] {
	case 'Y':
		if got == 401 || got == 403 || (got == 404 && strings.Contains(body, "tenant not found")) {
			t.Errorf("%s = %d %s, want allowed", name, got, body)
		}
	case 'F':
		if got != 403 {
			t.Errorf("%s = %d %s, want 403", name, got, body)
		}
	case 'N':
		if got != 404 || !strings.Contains(body, `"tenant not found"`) {
			t.Errorf("%s = %d %s, want 404 tenant not found", name, got, body)
		}
	case 'U':
		if got != 401 {
			t.Errorf("%s = %d %s, want 401", name, got, body)
		}
	case 'S':
		if got != row.Same {
			t.Errorf("%s = %d %s, want %d", name, got, body, row.Same)
		}
	default:
		t.Fatalf("%s: unknown expectation %q", name, row.Want[col])
	}
}

func tenantFor(slug, agencySlug string) tenant.NewTenant {
	return tenant.NewTenant{Slug: slug + "-" + uuid.NewString()[:6], Name: "Matrix", Locale: "fa", Currency: "IRR", TimeZone: "Asia/Tehran", AgencySlug: agencySlug}
}
