package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web/webtest"
)

// uiMatrixRow is one UI route × every kind of actor, with the answer
// written out by hand from DESIGN §4 (same columns and letters as the API's
// role matrix in rolematrix_test.go). For the UI, "no session" on a GET
// is a redirect to the sign-in page (R), on a POST 401 (U).
type uiMatrixRow struct {
	Method, Route string
	Form          url.Values
	Want          string
}

var uiMatrixRows = []uiMatrixRow{
	{"GET", "/t/:tenant", nil, "YYYY NNNR"},
	{"GET", "/t/:tenant/dashboard", nil, "YYYF NNNR"},
	{"GET", "/t/:tenant/customers", nil, "YYYY NNNR"},
	{"GET", "/t/:tenant/tasks", nil, "YYYY NNNR"},
	{"GET", "/t/:tenant/settings", nil, "YFFF NNNR"},
	{"POST", "/t/:tenant/settings", url.Values{"locale": {"fa"}, "time_zone": {"Asia/Tehran"}}, "YFFF NNNU"},
	{"POST", "/t/:tenant/settings/members/:rand/grant", url.Values{"role": {"sales"}}, "YFFF NNNU"},
	{"POST", "/t/:tenant/settings/roles/support/scope", url.Values{}, "YFFF NNNU"},
	{"POST", "/t/:tenant/settings/invites", url.Values{"email": {"new-person@example.test"}, "role": {"sales"}}, "YFFF NNNU"},
	// A made-up task: allowed roles reach the store, which answers 404
	// "task not found".
	{"POST", "/t/:tenant/tasks/:rand/complete", nil, "FYYY NNNU"},
	{"GET", "/t/:tenant/customers/export.csv", nil, "YYYF NNNR"},
	{"GET", "/t/:tenant/customers/export.xlsx", nil, "YYYF NNNR"},
	{"GET", "/t/:tenant/customers/new", nil, "FYYF NNNR"},
	{"POST", "/t/:tenant/customers", url.Values{"name": {"Matrix Co"}}, "FYYF NNNU"},
	{"GET", "/t/:tenant/customers/:id", nil, "YYYY NNNR"},
	{"GET", "/t/:tenant/customers/:id/edit", nil, "FYYF NNNR"},
	{"POST", "/t/:tenant/customers/:id", url.Values{"name": {"Matrix Co"}, "status": {"active"}}, "FYYF NNNU"},
	{"POST", "/t/:tenant/customers/:id/notes", url.Values{"body": {"hello"}}, "FYYY NNNU"},
	{"POST", "/t/:tenant/customers/:id/tasks", url.Values{"title": {"call"}}, "FYYY NNNU"},
	{"POST", "/t/:tenant/customers/:id/tickets", url.Values{"subject": {"help"}}, "FYFY NNNU"},
	{"POST", "/t/:tenant/customers/:id/contacts", url.Values{"first_name": {"Sara"}}, "FYYF NNNU"},
	{"POST", "/t/:tenant/customers/:id/forecast", url.Values{"at": {"2040-01-01"}}, "FYYF NNNU"},
	// The user's own language: anyone signed in, whatever their tenant.
	{"POST", "/language", url.Values{"locale": {"en"}}, "YYYY YYYU"},
}

// TestUIRoleMatrix checks every UI route under /t/ against the table
// above, and fails for a UI route without a row.
func TestUIRoleMatrix(t *testing.T) {
	t.Parallel() // its own database; overlaps with the package's other tests
	h := webtest.New(t)
	agency := h.Agency(t, "uimatrix")
	tn, err := h.Env.Registry.CreateTenant(context.Background(), tenantFor("uimatrix", agency.Slug))
	if err != nil {
		t.Fatal(err)
	}
	other := h.Tenant(t, "uimatrix-other")
	actors := [8]webtest.User{
		colAdmin:       h.User(t, tn, "tenant_admin"),
		colManager:     h.User(t, tn, "manager"),
		colSales:       h.User(t, tn, "sales"),
		colSupport:     h.User(t, tn, "support"),
		colAgencyAdmin: h.AgencyAdmin(t, agency.Slug),
		colOperator:    h.Operator(t),
		colOutsider:    h.User(t, other, "tenant_admin"),
	}
	cu, err := h.Store.CreateCustomer(tenanttest.Ctx(tn), core.CustomerInput{Name: "Matrix customer"})
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, r := range uiMatrixRows {
		covered[r.Method+" "+strings.NewReplacer(":rand", ":id", "/complete", "/:action", "/grant", "/:action", "/support/", "/:role/").Replace(r.Route)] = true
	}
	for _, r := range h.Server.Routes() {
		if strings.HasPrefix(r.Path, "/t/") && r.Path != "/t/:tenant/" && !covered[r.Method+" "+r.Path] {
			t.Errorf("UI route %s %s has no row in the UI role matrix (web/ui_matrix_test.go)", r.Method, r.Path)
		}
	}
	for _, row := range uiMatrixRows {
		want := strings.ReplaceAll(row.Want, " ", "")
		path := strings.NewReplacer(":tenant", tn.Slug, ":id", cu.ID.String(), ":rand", uuid.NewString()).Replace(row.Route)
		for col, as := range actors {
			name := fmt.Sprintf("%s %s as %s", row.Method, row.Route, colNames[col])
			req := webtest.Req{As: as, Method: row.Method, Path: path}
			if row.Form != nil {
				req.Body = row.Form.Encode()
				req.Header = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			}
			resp := h.Do(t, req)
			got := resp.Status
			switch want[col] {
			case 'Y':
				if got >= 400 && got != 422 && !(got == 404 && !strings.Contains(string(resp.Body), `data-message="tenant not found"`)) {
					t.Errorf("%s = %d, want allowed\n%.300s", name, got, resp.Body)
				}
			case 'F':
				if got != 403 {
					t.Errorf("%s = %d, want 403", name, got)
				}
			case 'N':
				if got != 404 || !strings.Contains(string(resp.Body), `data-message="tenant not found"`) {
					t.Errorf("%s = %d, want 404", name, got)
				}
			case 'U':
				if got != 401 {
					t.Errorf("%s = %d, want 401", name, got)
				}
			case 'R':
				if got != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
					t.Errorf("%s = %d → %q, want 303 to /login", name, got, resp.Header.Get("Location"))
				}
			}
			if got >= 400 && !strings.Contains(string(resp.Body), "<html") {
				t.Errorf("%s = %d without an HTML error page", name, got)
			}
		}
	}
}
