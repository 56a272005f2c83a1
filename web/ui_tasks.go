package web

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// taskRow is one task on "My tasks", with the rescue alert's reasons and
// offer when it has one.
type taskRow struct {
	T            core.Task
	CustomerName string
	Overdue      bool
	Snoozed      bool
	Reasons      []string
	Offer        string
}

type tasksData struct {
	Items  []taskRow
	Owners []userOption
	Today  string
}

func (s *Server) taskAccess(c *fiber.Ctx) store.TaskAccess {
	return store.TaskAccess{All: s.uiCan(c.UserContext(), authz.P(authz.Tasks, authz.Manage))}
}

// uiMyTasks lists the open and snoozed tasks assigned to the actor,
// overdue first, then by due date.
func (s *Server) uiMyTasks(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := s.newPage(c, "tasks")
	p.Title = p.T("tasks.title")
	me := p.Actor.UserID
	st := s.uiStore()
	page, err := st.Tasks(ctx, s.taskAccess(c), store.TaskFilter{AssigneeID: &me, Status: []string{"open", "snoozed"}, Limit: 200})
	if err != nil {
		return err
	}
	now := time.Now()
	d := &tasksData{}
	names := map[uuid.UUID]string{}
	var ids []string
	for _, t := range page.Items {
		r := taskRow{T: t, Overdue: t.DueAt != nil && t.DueAt.Before(now) && t.Status == "open",
			Snoozed: t.Status == "snoozed" && t.SnoozedUntil != nil && t.SnoozedUntil.After(now)}
		if t.CustomerID != nil {
			if _, ok := names[*t.CustomerID]; !ok {
				cu, err := st.Customer(ctx, *t.CustomerID)
				switch {
				case err == nil:
					names[*t.CustomerID] = cu.Name
				case core.ErrorCode(err) == core.CodeNotFound:
					names[*t.CustomerID] = ""
				default:
					return err
				}
			}
			r.CustomerName = names[*t.CustomerID]
		}
		ids = append(ids, t.ID.String())
		d.Items = append(d.Items, r)
	}
	if p.Can(string(authz.Scores), string(authz.Read)) && len(ids) > 0 {
		if err := s.attachAlerts(c, p, d.Items, ids); err != nil {
			return err
		}
	}
	sort.SliceStable(d.Items, func(i, j int) bool {
		a, b := d.Items[i], d.Items[j]
		if a.Overdue != b.Overdue {
			return a.Overdue
		}
		if a.Snoozed != b.Snoozed {
			return !a.Snoozed
		}
		switch {
		case a.T.DueAt == nil && b.T.DueAt == nil:
			return a.T.CreatedAt.After(b.T.CreatedAt)
		case a.T.DueAt == nil:
			return false
		case b.T.DueAt == nil:
			return true
		}
		return a.T.DueAt.Before(*b.T.DueAt)
	})
	owners, _, err := s.uiOwners(c, p.Tenant)
	if err != nil {
		return err
	}
	d.Owners = owners
	p.Data = d
	return s.render(c, fiber.StatusOK, "tasks", p)
}

// attachAlerts adds the rescue alerts' reasons and suggested offers (score
// fields: only for roles with scores:read).
func (s *Server) attachAlerts(c *fiber.Ctx, p *page, items []taskRow, ids []string) error {
	ctx := c.UserContext()
	var rows []struct {
		TaskID  uuid.UUID       `db:"task_id"`
		Reasons json.RawMessage `db:"reasons"`
		Offer   json.RawMessage `db:"offer"`
	}
	err := tenant.ReadTx(ctx, s.deps.DB, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, `select task_id, reasons, offer from alerts where task_id = any($1::uuid[])`, pq.StringArray(ids))
	})
	if err != nil {
		return err
	}
	by := map[uuid.UUID]int{}
	for i, it := range items {
		by[it.T.ID] = i
	}
	for _, r := range rows {
		i, ok := by[r.TaskID]
		if !ok {
			continue
		}
		items[i].Reasons = reasonTexts(r.Reasons, p.Lang)
		var o struct {
			Category string `json:"category"`
		}
		_ = json.Unmarshal(r.Offer, &o)
		items[i].Offer = o.Category
	}
	return nil
}

func taskIDParam(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, core.ErrNotFound
	}
	return id, nil
}

// uiTaskAction completes, snoozes or reassigns a task, then returns to
// the list.
func (s *Server) uiTaskAction(c *fiber.Ctx) error {
	id, err := taskIDParam(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := s.newPage(c, "tasks")
	form := formValues(c)
	var u core.TaskUpdate
	flash := "saved"
	switch c.Params("action") {
	case "complete":
		done := "done"
		u.Status = &done
		flash = "task_done"
	case "snooze":
		days, ok := formInt(form.Get("days"))
		if !ok || days < 1 || days > 90 {
			return core.Invalid(map[string]string{"days": p.T("validation.number")})
		}
		until := time.Now().Add(time.Duration(days) * 24 * time.Hour)
		snoozed := "snoozed"
		u.Status, u.SnoozedUntil = &snoozed, &until
		flash = "task_snoozed"
	case "reassign":
		to, err := uuid.Parse(form.Get("assignee_id"))
		if err != nil {
			return core.Invalid(map[string]string{"assignee_id": p.T("validation.choice")})
		}
		st, err := s.deps.Users.MembershipStatus(ctx, p.Tenant.ID, to)
		if err != nil {
			return err
		}
		if st != tenant.MemberActive {
			return core.Invalid(map[string]string{"assignee_id": p.T("validation.choice")})
		}
		u.AssigneeID = &to
		flash = "task_reassigned"
	default:
		return core.ErrNotFound
	}
	if _, err := s.uiStore().UpdateTask(ctx, s.taskAccess(c), id, u); err != nil {
		return err
	}
	setFlash(c, flash)
	back := p.TURL("tasks")
	if ref := safeNext(form.Get("back")); ref != "" {
		back = ref
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}
