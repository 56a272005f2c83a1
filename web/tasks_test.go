package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web/webtest"
)

// TestTaskAssigneeIsAMember: a task goes only to an active member of the
// tenant, as a customer's owner does — not to another tenant's user nor
// to a made-up id — on create and on update.
func TestTaskAssigneeIsAMember(t *testing.T) {
	h := webtest.New(t)
	a, b := h.Tenant(t, "alpha"), h.Tenant(t, "beta")
	mgr, sales := h.User(t, a, "manager"), h.User(t, a, "sales")
	foreign := h.User(t, b, "sales")
	cu := createCustomer(t, h, mgr, a, map[string]any{"name": "Assignee Co"})
	post := func(assignee uuid.UUID) *webtest.Resp {
		return h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "POST", Path: "/api/v1/tasks",
			Body: map[string]any{"customer_id": cu.ID, "title": "Call back", "assignee_id": assignee}})
	}
	for name, id := range map[string]uuid.UUID{"other tenant's user": foreign.ID, "unknown id": core.NewID()} {
		resp := post(id)
		var e errBody
		_ = json.Unmarshal(resp.Body, &e)
		if resp.Status != 422 || e.Error.Fields["assignee_id"] == "" {
			t.Errorf("create with %s as assignee = %d %s, want 422 on assignee_id", name, resp.Status, resp.Body)
		}
	}
	resp := post(sales.ID)
	if resp.Status != 201 {
		t.Fatalf("create with a member as assignee = %d %s", resp.Status, resp.Body)
	}
	id := idOf(t, resp)
	for name, as := range map[string]uuid.UUID{"other tenant's user": foreign.ID, "unknown id": core.NewID()} {
		resp := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/tasks/" + id, Body: map[string]any{"assignee_id": as}})
		var e errBody
		_ = json.Unmarshal(resp.Body, &e)
		if resp.Status != 422 || e.Error.Fields["assignee_id"] == "" {
			t.Errorf("reassign to %s = %d %s, want 422 on assignee_id", name, resp.Status, resp.Body)
		}
	}
	if resp := h.Do(t, webtest.Req{As: mgr, Tenant: a.Slug, Method: "PATCH", Path: "/api/v1/tasks/" + id, Body: map[string]any{"assignee_id": mgr.ID}}); resp.Status != 200 {
		t.Errorf("reassign to a member = %d %s", resp.Status, resp.Body)
	}
	// A member whose membership is not active (an invite not yet
	// accepted) gets no tasks either.
	gone := h.User(t, a, "sales")
	if _, err := h.Env.DB.Exec(`update control.memberships set status = 'pending' where tenant_id = $1 and user_id = $2`, a.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if resp := post(gone.ID); resp.Status != 422 {
		t.Errorf("create with a pending member as assignee = %d %s, want 422", resp.Status, resp.Body)
	}
}

// TestRescueTasksNeedScores: a rescue task's title says the customer's
// churn risk, a score field; support (no scores:read) sees it nowhere —
// profile recent tasks and open-task count, timeline, task lists, the
// task itself, My tasks and the UI profile — while sales does.
func TestRescueTasksNeedScores(t *testing.T) {
	h := webtest.New(t)
	tn := h.Tenant(t, "rescue")
	sales, support := h.User(t, tn, "sales"), h.User(t, tn, "support")
	ctx := tenanttest.Ctx(tn)
	cu, err := h.Store.CreateCustomer(ctx, core.CustomerInput{Name: "Rescue Co", OwnerID: &sales.ID})
	if err != nil {
		t.Fatal(err)
	}
	const title = "Rescue Rescue Co: churn risk is high"
	// Rescue tasks as scoring writes them: one for the owner, and one on
	// another customer for support (say, the tenant's default assignee).
	other, err := h.Store.CreateCustomer(ctx, core.CustomerInput{Name: "Other Co"})
	if err != nil {
		t.Fatal(err)
	}
	rescue, rescueSupport := core.NewID(), core.NewID()
	err = tenant.Tx(ctx, h.Env.DB, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`insert into tasks (id, customer_id, title, body, assignee_id, status, source) values
			($1, $2, $3, 'risk 0.82', $4, 'open', 'rescue_alert'), ($5, $6, $3, 'risk 0.82', $7, 'open', 'rescue_alert')`,
			rescue, cu.ID, title, sales.ID, rescueSupport, other.ID, support.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A manual task support created on the same customer stays visible.
	title2 := "Support follow-up"
	if resp := h.Do(t, webtest.Req{As: support, Tenant: tn.Slug, Method: "POST", Path: "/api/v1/tasks",
		Body: map[string]any{"customer_id": cu.ID, "title": title2}}); resp.Status != 201 {
		t.Fatalf("support creates a task = %d %s", resp.Status, resp.Body)
	}
	type profile struct {
		Counts struct {
			OpenTasks int `json:"open_tasks"`
		} `json:"counts"`
		Recent   struct{ Tasks []struct{ Title string } } `json:"recent"`
		Timeline []struct{ Kind, Title string }           `json:"timeline"`
	}
	check := func(u webtest.User, wantRescue bool) {
		t.Helper()
		get := func(path string) *webtest.Resp {
			t.Helper()
			return h.Do(t, webtest.Req{As: u, Tenant: tn.Slug, Path: path})
		}
		var p profile
		resp := get("/api/v1/customers/" + cu.ID.String() + "/profile")
		if resp.Status != 200 {
			t.Fatalf("%s profile = %d %s", u.Role, resp.Status, resp.Body)
		}
		resp.JSON(&p)
		wantOpen := map[bool]int{true: 2, false: 1}[wantRescue]
		if p.Counts.OpenTasks != wantOpen {
			t.Errorf("%s profile open tasks = %d, want %d", u.Role, p.Counts.OpenTasks, wantOpen)
		}
		if got := len(p.Recent.Tasks); got != wantOpen {
			t.Errorf("%s profile recent tasks = %+v, want %d", u.Role, p.Recent.Tasks, wantOpen)
		}
		if got := strings.Contains(string(resp.Body), "churn risk"); got != wantRescue {
			t.Errorf("%s profile shows the rescue task: %v, want %v: %s", u.Role, got, wantRescue, resp.Body)
		}
		for path, want := range map[string]bool{
			"/api/v1/customers/" + cu.ID.String() + "/timeline": wantRescue,
			"/api/v1/customers/" + cu.ID.String() + "/tasks":    wantRescue,
			"/api/v1/tasks": wantRescue,
			"/t/" + tn.Slug + "/customers/" + cu.ID.String():                wantRescue,
			"/t/" + tn.Slug + "/customers/" + cu.ID.String() + "?tab=notes": wantRescue,
		} {
			resp := get(path)
			if resp.Status != 200 {
				t.Errorf("%s GET %s = %d", u.Role, path, resp.Status)
				continue
			}
			if got := strings.Contains(string(resp.Body), "churn risk"); got != want {
				t.Errorf("%s GET %s shows a rescue task: %v, want %v", u.Role, path, got, want)
			}
			if strings.HasPrefix(path, "/api/v1/customers/") && !strings.Contains(string(resp.Body), title2) {
				t.Errorf("%s GET %s lacks the manual task", u.Role, path)
			}
		}
		if resp := get("/api/v1/tasks/" + rescue.String()); (resp.Status == 200) != wantRescue {
			t.Errorf("%s GET the rescue task = %d", u.Role, resp.Status)
		}
	}
	check(sales, true)
	check(support, false)
	// The rescue task assigned to support: not in its lists nor My tasks.
	for _, path := range []string{"/api/v1/tasks/" + rescueSupport.String(), "/api/v1/tasks?assignee=me", "/t/" + tn.Slug + "/tasks"} {
		resp := h.Do(t, webtest.Req{As: support, Tenant: tn.Slug, Path: path})
		if strings.Contains(string(resp.Body), "churn risk") {
			t.Errorf("support GET %s = %d shows its rescue task", path, resp.Status)
		}
	}
	if resp := h.Do(t, webtest.Req{As: support, Tenant: tn.Slug, Method: "PATCH", Path: "/api/v1/tasks/" + rescueSupport.String(),
		Body: map[string]any{"status": "done"}}); resp.Status != 404 {
		t.Errorf("support completes a rescue task = %d, want 404", resp.Status)
	}
}
